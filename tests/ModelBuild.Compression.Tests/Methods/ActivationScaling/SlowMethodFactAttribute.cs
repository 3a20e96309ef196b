namespace ModelBuild.Compression.Tests.Methods.ActivationScaling;

/// <summary>A comparison on a real model that takes about half a minute: runs only with MODELBUILD_SLOW_METHOD_TESTS=1.</summary>
public sealed class SlowMethodFactAttribute : FactAttribute
{
    public SlowMethodFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MODELBUILD_SLOW_METHOD_TESTS") != "1")
        {
            Skip = "compresses mnist_cnn_fc128 twice and scores all of t10k (~30 s): set MODELBUILD_SLOW_METHOD_TESTS=1 to run it.";
        }
    }
}
