using ModelBuild.Compression.Contracts;
using ModelBuild.Evaluation.Services;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>What the worker composes: the ONNX Runtime implementations of Compression's contracts.</summary>
internal static class TestServices
{
    public static CompressionServices Default { get; } = EvaluationServices.Create();
}
