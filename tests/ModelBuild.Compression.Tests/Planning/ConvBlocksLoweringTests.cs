using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Planning;
using ModelBuild.Compression.Storage;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Runtime;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// Which conv weights the planner stores in the conv tiles' order (blob format 11): float32 pointwise convs with whole
/// blocks of 4 output channels per group; a k×k kernel or a channel count that is not a multiple of 4 stays row-major
/// (format 1). The planned model computes the float64 reference either way.
/// </summary>
public sealed class ConvBlocksLoweringTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-convblocks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pointwise_convs_with_whole_blocks_of_4_channels_are_stored_in_block_order()
    {
        // x [1, 8, 5, 5] → Conv 1×1 8→16 → Relu → Conv 1×1 16→6 (6 rows: not whole blocks) → Conv 3×3 6→8 (pad 1) → y.
        var w1 = Weights(16 * 8, 1);
        var w2 = Weights(6 * 16, 2);
        var w3 = Weights(8 * 6 * 9, 3);
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, new TensorShape([Dim.Of(1), Dim.Of(8), Dim.Of(5), Dim.Of(5)])));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, new TensorShape([Dim.Of(1), Dim.Of(8), Dim.Of(5), Dim.Of(5)])));
        graph.Nodes.Add(new Node("Conv", ["x", "W1"], ["a"], "pw1"));
        graph.Nodes.Add(new Node("Relu", ["a"], ["r"], "relu"));
        graph.Nodes.Add(new Node("Conv", ["r", "W2"], ["b"], "pw2"));
        var conv3 = new Node("Conv", ["b", "W3"], ["y"], "k3");
        conv3.Attributes.Add(NodeAttribute.Of("pads", new long[] { 1, 1, 1, 1 }));
        graph.Nodes.Add(conv3);
        graph.SetInitializer(Tensor.FromFloats("W1", [16, 8, 1, 1], w1));
        graph.SetInitializer(Tensor.FromFloats("W2", [6, 16, 1, 1], w2));
        graph.SetInitializer(Tensor.FromFloats("W3", [8, 6, 3, 3], w3));

        var path = Path.Combine(_dir, "m.onnx");
        OnnxExporter.WriteFile(graph, path);
        var (text, bytes) = ExactPlanner.Build(path);
        var blob = WeightBlob.Load(bytes);
        var formats = Enumerable.Range(0, blob.Count).ToDictionary(blob.Name, blob.StoredFormat);
        Assert.Equal((byte)BlobFormat.Float32ConvBlocks, formats["W1"]);
        Assert.Equal((byte)BlobFormat.Float32, formats["W2"]);
        Assert.Equal((byte)BlobFormat.Float32, formats["W3"]);

        var x = PlanInterpreterTests.Random([1, 8, 5, 5], seed: 4);
        var program = PlanInterpreter.Load(text, blob);
        var context = new OpContext(program);
        context.SetInput<float>(program.Inputs[0], x, [1, 8, 5, 5]);
        program.Run(context);
        var y = context.Floats(program.Outputs[0]).ToArray();

        var expected = Conv(Conv(Conv(x.Select(v => (double)v).ToArray(), 8, w1, 16, 1).Select(v => Math.Max(0, v)).ToArray(), 16, w2, 6, 1), 6, w3, 8, 3);
        Assert.Equal(expected.Length, y.Length);
        for (var i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {y[i]}");
        }
    }

    /// <summary>Grouped pointwise convs: 8 output channels per group → format 11; 2 per group → format 1.</summary>
    [Theory]
    [InlineData(2, 16, 11)]
    [InlineData(4, 8, 1)]
    public void Grouped_pointwise_convs_need_whole_blocks_of_4_channels_per_group(int group, int oc, int expectedFormat)
    {
        var graph = new ModelGraph { IrVersion = 8 };
        graph.Opsets.Add(new OpsetImport("", 13));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, new TensorShape([Dim.Of(1), Dim.Of(8), Dim.Of(3), Dim.Of(3)])));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, new TensorShape([Dim.Of(1), Dim.Of(oc), Dim.Of(3), Dim.Of(3)])));
        var conv = new Node("Conv", ["x", "W"], ["y"], "pw");
        conv.Attributes.Add(NodeAttribute.Of("group", (long)group));
        graph.Nodes.Add(conv);
        graph.SetInitializer(Tensor.FromFloats("W", [oc, 8 / group, 1, 1], Weights(oc * 8 / group, 5)));
        var path = Path.Combine(_dir, $"g{group}.onnx");
        OnnxExporter.WriteFile(graph, path);
        var blob = WeightBlob.Load(ExactPlanner.Build(path).Blob);
        Assert.Equal(expectedFormat, blob.StoredFormat(Enumerable.Range(0, blob.Count).Single(i => blob.Name(i) == "W")));
    }

    [Fact]
    public void The_writer_refuses_conv_blocks_whose_rows_are_not_a_multiple_of_4()
    {
        var writer = new WeightBlobWriter();
        var error = Assert.Throws<ArgumentException>(() => writer.AddConvBlocks("w", new float[6 * 3], [6, 3]));
        Assert.Contains("multiples of 4", error.Message, StringComparison.Ordinal);
    }

    private static float[] Weights(int count, int seed) => Enumerable.Range(0, count).Select(i => MathF.Sin((i * 0.37f) + seed) * 0.5f).ToArray();

    // A 5×5 convolution (stride 1, "same" padding for k = 3) in float64, [c, 5, 5] → [oc, 5, 5].
    private static double[] Conv(double[] x, int c, float[] w, int oc, int k)
    {
        var y = new double[oc * 25];
        int pad = k / 2;
        for (var o = 0; o < oc; o++)
        {
            for (var py = 0; py < 5; py++)
            {
                for (var px = 0; px < 5; px++)
                {
                    double sum = 0;
                    for (var i = 0; i < c; i++)
                    {
                        for (var ky = 0; ky < k; ky++)
                        {
                            for (var kx = 0; kx < k; kx++)
                            {
                                int sy = py + ky - pad, sx = px + kx - pad;
                                if (sy is >= 0 and < 5 && sx is >= 0 and < 5)
                                {
                                    sum += w[(((o * c) + i) * k * k) + (ky * k) + kx] * x[(i * 25) + (sy * 5) + sx];
                                }
                            }
                        }
                    }

                    y[(o * 25) + (py * 5) + px] = sum;
                }
            }
        }

        return y;
    }
}
