using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// Concat elision (<c>ConcatInPlace</c>): a Concat on channels of Conv outputs that nothing else reads is planned as
/// Convs writing their channels of its output (<c>ConcatChannels=</c> in the plan) and matches ONNX Runtime on the
/// model; a part read elsewhere, a graph-output part, a part from another operator, a repeated input and a Concat on
/// another axis keep the copy.
/// </summary>
public sealed class ConcatInPlaceTests : IDisposable
{
    private const int C = 8, H = 7, W = 7;
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-concat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public enum Block
    {
        /// <summary>SqueezeNet's Fire: Concat(expand 1×1, expand 3×3) on axis 1.</summary>
        Fire,

        /// <summary>The same with axis −3.</summary>
        NegativeAxis,

        /// <summary>Concat(expand 3×3, expand 1×1): the second conv computed writes the first channels.</summary>
        Reversed,

        /// <summary>Inception-like: three convs (1×1, 3×3, 5×5).</summary>
        ThreeParts,

        /// <summary>A Fire whose Concat feeds another conv (the output is read after the parts).</summary>
        FireThenConv,

        /// <summary>A Fire whose Concat is flattened (a view sharing its storage) into the graph output.</summary>
        FireThenFlatten,

        /// <summary>The 1×1 expand is also a graph output: kept.</summary>
        PartEscapes,

        /// <summary>The 1×1 expand is also read by a GlobalAveragePool: kept.</summary>
        PartReadTwice,

        /// <summary>Concat(expand 1×1, MaxPool(squeeze)): a part that is not a conv, kept.</summary>
        PoolPart,

        /// <summary>Concat(expand 1×1, expand 1×1): the same input twice, kept.</summary>
        SameInputTwice,

        /// <summary>Concat along the height: kept.</summary>
        SpatialAxis,
    }

    [Theory]
    [InlineData(Block.Fire, 3)]
    [InlineData(Block.Fire, 1)]
    [InlineData(Block.NegativeAxis, 2)]
    [InlineData(Block.Reversed, 2)]
    [InlineData(Block.ThreeParts, 3)]
    [InlineData(Block.FireThenConv, 2)]
    [InlineData(Block.FireThenFlatten, 2)]
    [InlineData(Block.PartEscapes, 2)]
    [InlineData(Block.PartReadTwice, 2)]
    [InlineData(Block.PoolPart, 2)]
    [InlineData(Block.SameInputTwice, 2)]
    [InlineData(Block.SpatialAxis, 2)]
    public void Concats_of_conv_outputs_read_only_there_are_written_in_place_and_match_onnx_runtime(Block kind, int batch)
    {
        var path = Path.Combine(_dir, $"{kind}.onnx");
        OnnxExporter.WriteFile(Graph(kind), path);
        var (text, _) = ExactPlanner.Build(path);
        var ops = text.Split('\n').Where(l => l.StartsWith("op ", StringComparison.Ordinal)).ToList();
        int parts = ops.Count(o => o.Contains("ConcatChannels=", StringComparison.Ordinal));
        int expectedParts = kind switch
        {
            Block.Fire or Block.NegativeAxis or Block.Reversed or Block.FireThenConv or Block.FireThenFlatten => 2,
            Block.ThreeParts => 3,
            _ => 0,
        };
        Assert.Equal(expectedParts, parts);
        if (kind == Block.Reversed)
        {
            // The 3×3 expand (6 channels) comes first in the Concat: the 1×1 expand writes from channel 6.
            Assert.Contains(ops, o => o.Contains("ConcatOffset=6 ConcatChannels=11", StringComparison.Ordinal));
        }

        int[] shape = [batch, C, H, W];
        var input = PlanInterpreterTests.Random(shape, seed: 3);
        var (actual, outShape) = PlanInterpreterTests.Run(path, input, shape);
        var expected = Ort.Run(File.ReadAllBytes(path), input, shape);
        Assert.Equal(batch, outShape[0]);
        PlanInterpreterTests.AssertClose(expected, actual);
    }

    private static ModelGraph Graph(Block kind)
    {
        var graph = new ModelGraph { IrVersion = 7 };
        graph.Opsets.Add(new OpsetImport("", 13));
        var batch = Dim.Sym("N");
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(batch, C, H, W)));
        var rng = new Random(7);

        void Conv(string input, string output, int inputs, int outputs, int k)
        {
            graph.SetInitializer(Tensor.FromFloats(output + "_w", [outputs, inputs, k, k], Floats(rng, outputs * inputs * k * k)));
            graph.SetInitializer(Tensor.FromFloats(output + "_b", [outputs], Floats(rng, outputs)));
            var conv = new Node("Conv", [input, output + "_w", output + "_b"], [output + "_c"], output);
            conv.Attributes.Add(NodeAttribute.Of("pads", new long[] { k / 2, k / 2, k / 2, k / 2 }));
            graph.Nodes.Add(conv);
            graph.Nodes.Add(new Node("Relu", [output + "_c"], [output], output + "_relu"));
        }

        Conv("x", "s", C, 4, 1);
        Conv("s", "e1", 4, 5, 1);
        string[] inputs = ["e1", "e3"];
        int channels = 11;
        switch (kind)
        {
            case Block.Reversed:
                Conv("s", "e3", 4, 6, 3);
                inputs = ["e3", "e1"];
                break;
            case Block.ThreeParts:
                Conv("s", "e3", 4, 6, 3);
                Conv("s", "e5", 4, 3, 5);
                inputs = ["e1", "e3", "e5"];
                channels = 14;
                break;
            case Block.PoolPart:
                var pool = new Node("MaxPool", ["s"], ["p"], "pool");
                pool.Attributes.Add(NodeAttribute.Of("kernel_shape", new long[] { 3, 3 }));
                pool.Attributes.Add(NodeAttribute.Of("pads", new long[] { 1, 1, 1, 1 }));
                graph.Nodes.Add(pool);
                inputs = ["e1", "p"];
                channels = 9;
                break;
            case Block.SameInputTwice:
                inputs = ["e1", "e1"];
                channels = 10;
                break;
            case Block.SpatialAxis:
                Conv("s", "e1b", 4, 5, 1);
                inputs = ["e1", "e1b"];
                channels = 5;
                break;
            default:
                Conv("s", "e3", 4, 6, 3);
                break;
        }

        var concat = new Node("Concat", inputs, ["y"], "concat");
        concat.Attributes.Add(NodeAttribute.Of("axis", kind switch { Block.NegativeAxis => -3L, Block.SpatialAxis => 2L, _ => 1L }));
        graph.Nodes.Add(concat);
        var yShape = kind == Block.SpatialAxis ? TensorShape.Of(batch, channels, 2 * H, W) : TensorShape.Of(batch, channels, H, W);
        if (kind == Block.FireThenConv)
        {
            Conv("y", "z", channels, 3, 1);
            graph.Outputs.Add(new ValueInfo("z", DataType.Float, TensorShape.Of(batch, 3, H, W)));
        }
        else if (kind == Block.FireThenFlatten)
        {
            graph.Nodes.Add(new Node("Flatten", ["y"], ["f"], "flatten"));
            graph.Outputs.Add(new ValueInfo("f", DataType.Float, TensorShape.Of(batch, channels * H * W)));
        }
        else
        {
            graph.Outputs.Add(new ValueInfo("y", DataType.Float, yShape));
        }

        if (kind == Block.PartEscapes)
        {
            graph.Outputs.Add(new ValueInfo("e1", DataType.Float, TensorShape.Of(batch, 5, H, W)));
        }
        else if (kind == Block.PartReadTwice)
        {
            graph.Nodes.Add(new Node("GlobalAveragePool", ["e1"], ["g"], "gap"));
            graph.Outputs.Add(new ValueInfo("g", DataType.Float, TensorShape.Of(batch, 5, 1, 1)));
        }

        return graph;
    }

    private static float[] Floats(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
}
