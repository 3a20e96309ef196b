using ModelBuild.Generator.Tests.Models;

namespace ModelBuild.Generator.Tests;

/// <summary>
/// Version-2 plans of the test models (<see cref="TestModels"/>), written by the compressor itself so the parser and
/// emitter see exactly what a build feeds them.
/// </summary>
internal static class Plans
{
    /// <summary>Dynamic batch MLP: Dense relu → Dense → Softmax.</summary>
    public static string Mlp => TestModels.Get(nameof(Mlp)).Plan;

    /// <summary>The MLP through the build's pipeline with the default manifest: int8 weights.</summary>
    public static string MlpInt8 => TestModels.Get(nameof(MlpInt8)).Plan;

    /// <summary>The MLP with int8 weights and 8-bit dynamic activations (<c>quantize-activations</c>): QuantizedDense ops.</summary>
    public static string MlpInt8Act => TestModels.Get(nameof(MlpInt8Act)).Plan;

    /// <summary>Dynamic batch CNN: Conv relu → MaxPool → Flatten → Dense.</summary>
    public static string Conv => TestModels.Get(nameof(Conv)).Plan;

    /// <summary>Global namespace; Binary with constants on either side, Transpose over the batch axis, Concat, computed Reshape.</summary>
    public static string Layout => TestModels.Get(nameof(Layout)).Plan;

    /// <summary>Fixed batch of 2: ChannelAffine, AveragePool, GlobalAveragePool, Dense, Clip, Identity.</summary>
    public static string Fixed => TestModels.Get(nameof(Fixed)).Plan;

    /// <summary>Symbolic N, H and W: no batched API, only the shape-taking one.</summary>
    public static string Dynamic => TestModels.Get(nameof(Dynamic)).Plan;

    /// <summary>Two inputs (<c>image.features</c>, <c>meta::data</c>) and two outputs.</summary>
    public static string TwoInTwoOut => TestModels.Get(nameof(TwoInTwoOut)).Plan;

    public static string Get(string name) => TestModels.Get(name).Plan;
}
