using ModelBuild.Compression.Pipeline;
using ModelBuild.Compression.Tests.Support;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Tests.Planning;

/// <summary>
/// A residual block's tail, <c>Relu(Add(Conv(x), r))</c>, is planned as one Conv op with a residual (and a residual
/// padded by <c>Concat(v, zeros)</c> on channels loses its Concat), matching ONNX Runtime on the unfused model;
/// broadcasting Adds, escaping intermediates and non-zero padding keep their ops.
/// </summary>
public sealed class ConvResidualFusionTests : IDisposable
{
    private static readonly int[] Shape = [2, 4, 6, 20];
    private readonly string _dir = Directory.CreateTempSubdirectory("mb-resfusion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public enum Residual
    {
        /// <summary>BlazeFace: Add(pointwise 4 → 6, Concat(x, zeros of 2 channels)), then Relu.</summary>
        ZeroPadded,

        /// <summary>Add(x, Conv 3×3 4 → 4) (operands swapped), no Relu.</summary>
        SameShape,

        /// <summary>Add(Conv, GlobalAveragePool(x)) of shape [N, 4, 1, 1]: broadcasting, not fused.</summary>
        Broadcast,

        /// <summary>BlazeFace's pattern with the conv output also a graph output: not fused.</summary>
        Escapes,

        /// <summary>Concat(x, ones): the Concat stays, the Add still fuses with its output as the residual.</summary>
        OnePadded,
    }

    [Theory]
    [InlineData(Residual.ZeroPadded, false)]
    [InlineData(Residual.SameShape, false)]
    [InlineData(Residual.SameShape, true)]
    [InlineData(Residual.Broadcast, false)]
    [InlineData(Residual.Escapes, false)]
    [InlineData(Residual.OnePadded, false)]
    public void Plan_fuses_only_where_shapes_prove_no_broadcast_and_matches_onnx_runtime(Residual kind, bool symbolicBatch)
    {
        var path = Save(Block(kind, symbolicBatch), $"{kind}.onnx");
        var (text, _) = ExactPlanner.Build(path);
        var ops = text.Split('\n').Where(l => l.StartsWith("op ", StringComparison.Ordinal)).ToList();
        bool fused = kind is not (Residual.Broadcast or Residual.Escapes);
        Assert.Equal(fused, ops.Any(o => o.Contains("Residual=", StringComparison.Ordinal)));
        Assert.Equal(!fused, ops.Any(o => o.StartsWith("op Binary", StringComparison.Ordinal)));
        Assert.Equal(kind is Residual.Escapes or Residual.OnePadded, ops.Any(o => o.StartsWith("op Concat", StringComparison.Ordinal)));
        if (kind == Residual.ZeroPadded)
        {
            // Conv, Conv + Add + Relu: the Concat, Add and Relu are gone.
            Assert.Equal(2, ops.Count);
            Assert.Contains("Act=Activation.Relu Residual=0", ops[1], StringComparison.Ordinal);
        }

        var input = PlanInterpreterTests.Random(Shape, seed: 11);
        var (actual, shape) = PlanInterpreterTests.Run(path, input, Shape);
        var expected = Ort.Run(File.ReadAllBytes(path), input, Shape);
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(Shape[0], shape[0]);
        PlanInterpreterTests.AssertClose(expected, actual);
    }

    private static ModelGraph Block(Residual kind, bool symbolicBatch)
    {
        var graph = new ModelGraph { IrVersion = 7 };
        graph.Opsets.Add(new OpsetImport("", 13));
        Dim batch = symbolicBatch ? Dim.Sym("N") : Dim.Of(Shape[0]);
        int oc = kind is Residual.ZeroPadded or Residual.Escapes or Residual.OnePadded ? 6 : 4;
        graph.Inputs.Add(new ValueInfo("x", DataType.Float, TensorShape.Of(batch, 4, 6, 20)));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float, TensorShape.Of(batch, oc, 6, 20)));
        var rng = new Random(7);
        float[] Floats(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();

        // A depthwise 3×3 first, as in a BlazeBlock, so the residual is not the fused conv's own input.
        graph.SetInitializer(Tensor.FromFloats("dw", [4, 1, 3, 3], Floats(36)));
        var dw = new Node("Conv", ["x", "dw"], ["d"], "dw");
        dw.Attributes.Add(NodeAttribute.Of("group", 4L));
        dw.Attributes.Add(NodeAttribute.Of("pads", new long[] { 1, 1, 1, 1 }));
        graph.Nodes.Add(dw);

        bool pointwise = kind != Residual.SameShape;
        graph.SetInitializer(Tensor.FromFloats("w", pointwise ? [oc, 4, 1, 1] : [oc, 4, 3, 3], Floats(oc * 4 * (pointwise ? 1 : 9))));
        graph.SetInitializer(Tensor.FromFloats("b", [oc], Floats(oc)));
        var conv = new Node("Conv", ["d", "w", "b"], ["c"], "pw");
        if (!pointwise)
        {
            conv.Attributes.Add(NodeAttribute.Of("pads", new long[] { 1, 1, 1, 1 }));
        }

        graph.Nodes.Add(conv);
        string residual = "x";
        if (kind is Residual.ZeroPadded or Residual.Escapes or Residual.OnePadded)
        {
            graph.SetInitializer(Tensor.FromFloats("pad", [Shape[0], 2, 6, 20], kind == Residual.OnePadded ? Enumerable.Repeat(1f, Shape[0] * 240).ToArray() : new float[Shape[0] * 240]));
            var concat = new Node("Concat", ["x", "pad"], ["r"], "pad_channels");
            concat.Attributes.Add(NodeAttribute.Of("axis", 1L));
            graph.Nodes.Add(concat);
            residual = "r";
        }
        else if (kind == Residual.Broadcast)
        {
            graph.Nodes.Add(new Node("GlobalAveragePool", ["x"], ["k"], "gap"));
            residual = "k";
        }

        bool relu = kind != Residual.SameShape;
        graph.Nodes.Add(new Node("Add", kind == Residual.SameShape ? [residual, "c"] : ["c", residual], [relu ? "s" : "y"], "add"));
        if (relu)
        {
            graph.Nodes.Add(new Node("Relu", ["s"], ["y"], "relu"));
        }

        if (kind == Residual.Escapes)
        {
            graph.Outputs.Add(new ValueInfo("c", DataType.Float, TensorShape.Of(batch, oc, 6, 20)));
        }

        return graph;
    }

    private string Save(ModelGraph graph, string name)
    {
        var path = Path.Combine(_dir, name);
        OnnxExporter.WriteFile(graph, path);
        return path;
    }
}
