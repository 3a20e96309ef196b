using System.Diagnostics;
using ModelBuild.Compression.Algorithms.Quantization;
using Xunit.Abstractions;

namespace ModelBuild.Compression.Tests.Methods.Reconstruction;

/// <summary>Scratch timing (opt-in).</summary>
public sealed class AdaRoundTiming(ITestOutputHelper output)
{
    [OptInFact("MODELBUILD_ADAROUND_TIMING")]
    public void Time_one_layer()
    {
        var (rows, cols, n) = (256, 784, 256);
        var random = new Random(1);
        var x = Enumerable.Range(0, n * cols).Select(_ => random.NextDouble()).ToArray();
        var h = new double[cols * cols];
        for (var s = 0; s < n; s++)
        {
            for (var i = 0; i < cols; i++)
            {
                for (var j = 0; j < cols; j++)
                {
                    h[(i * cols) + j] += x[(s * cols) + i] * x[(s * cols) + j] / n;
                }
            }
        }

        var w = Enumerable.Range(0, rows * cols).Select(_ => random.NextDouble() - 0.5).ToArray();
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sketch = HessianSketch.Of(h, cols);
        output.WriteLine($"sketch {clock.Elapsed.TotalSeconds:0.00} s, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00} s");
        foreach (var steps in new[] { 1, 101 })
        {
            clock.Restart();
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            AdaRound.Quantize(w, rows, cols, h, new GridOptions(3, false, true, cols, false), new AdaRoundOptions(steps), null, null);
            output.WriteLine($"{steps} steps {clock.Elapsed.TotalSeconds:0.00} s, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00} s");
        }
    }
}
