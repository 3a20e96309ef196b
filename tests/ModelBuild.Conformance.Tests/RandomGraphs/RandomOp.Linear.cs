using static ModelBuild.Conformance.Tests.RandomGraphs.RandomGraphGenerator;

namespace ModelBuild.Conformance.Tests.RandomGraphs;

/// <summary>
/// MatMul (constant on the right or the left, two activations, 1-D operands), Gemm (every transA/transB, alpha, beta
/// and C shape) with weights shared between nodes in either orientation, Conv and pooling.
/// </summary>
internal static partial class RandomOp
{
    /// <summary>
    /// A weight matrix for a product over <paramref name="k"/>: an existing 2-D constant whose contracted side is k
    /// (read again, maybe in the other orientation; bug case c18), or a new one scaled by 1/√k to keep values O(1).
    /// </summary>
    private static (string Name, int Other, bool Shared) Weight(RandomGraphGenerator g, int k, bool kIsRows)
    {
        var fits = g.Matrices.Where(m => (kIsRows ? m.Rows : m.Cols) == k).ToList();
        if (fits.Count > 0 && g.Rng.Next(2) == 0)
        {
            var m = fits[g.Rng.Next(fits.Count)];
            return (m.Name, kIsRows ? m.Cols : m.Rows, true);
        }

        var n = 1 + g.Rng.Next(7);
        return (g.Constant(kIsRows ? [k, n] : [n, k], 1.5f / MathF.Sqrt(k)), n, false);
    }

    /// <summary>x[…, K] @ W[K, N]: the Dense lowering (or 1-D x, bug case c05).</summary>
    private static void MatMulRight(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank == 0 || v.BatchAxis == v.Rank - 1)
        {
            return;
        }

        var (w, n, shared) = Weight(g, v.Dims[^1], kIsRows: true);
        g.Add("MatMul", [v.Name, w], [.. v.Dims[..^1], n], v.BatchAxis, $"act, const [{v.Dims[^1]},{n}]{(shared ? " shared" : "")}");
    }

    /// <summary>W[M, K] @ x[…, K, n]: a constant left operand.</summary>
    private static void MatMulLeft(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank < 2 || v.BatchAxis == v.Rank - 2)
        {
            return;
        }

        var (w, m, shared) = Weight(g, v.Dims[^2], kIsRows: false);
        g.Add("MatMul", [w, v.Name], [.. v.Dims[..^2], m, v.Dims[^1]], v.BatchAxis, $"const [{m},{v.Dims[^2]}], act{(shared ? " shared" : "")}");
    }

    /// <summary>x @ xᵀ (last two axes): two activations, one of them computed from the other.</summary>
    private static void MatMulSelf(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank < 2 || v.BatchAxis >= v.Rank - 2)
        {
            return;
        }

        var perm = Enumerable.Range(0, v.Rank).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        var t = g.Add("Transpose", [v.Name], perm.Select(p => v.Dims[p]).ToArray(), v.BatchAxis, "last two", Ints("perm", perm.Select(p => (long)p).ToArray()));
        g.Add("MatMul", [v.Name, t.Name], [.. v.Dims[..^1], v.Dims[^2]], v.BatchAxis, "act, act");
    }

    /// <summary>Gemm on a 2-D activation: transA/transB, alpha/beta, a C of any broadcastable shape, B constant or x itself.</summary>
    private static void Gemm(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank != 2)
        {
            return;
        }

        var transA = g.Rng.Next(3) == 0 ? 1 : 0;
        var (m, k) = transA == 1 ? (v.Dims[1], v.Dims[0]) : (v.Dims[0], v.Dims[1]);
        var batchM = v.BatchAxis == (transA == 1 ? 1 : 0);
        if (v.BatchAxis >= 0 && !batchM)
        {
            return; // the batch would be the contracted K
        }

        var transB = g.Rng.Next(2);
        string b;
        int n;
        var detail = "";
        if (v.BatchAxis < 0 && g.Rng.Next(6) == 0)
        {
            // B is the activation itself: x·xᵀ (transA=0, transB=1) or xᵀ·x (transA=1, transB=0).
            transB = 1 - transA;
            (b, n, detail) = (v.Name, m, "B = A");
        }
        else
        {
            var (w, other, shared) = Weight(g, k, kIsRows: transB == 0);
            (b, n, detail) = (w, other, shared ? "shared B" : "");
        }

        List<int[]?> c = [null, [n], [1, n], [], [1]];
        if (!batchM)
        {
            c.AddRange([[m, n], [m, 1]]); // bias per row (bug case c33) or per element: M must be fixed
        }

        var cDims = c[g.Rng.Next(c.Count)];
        var inputs = new List<string> { v.Name, b };
        if (cDims is not null)
        {
            inputs.Add(g.Constant(cDims));
        }

        var alpha = g.Choose(1f, 0.5f, -1.5f);
        var beta = g.Choose(1f, 1f, 0.25f, -2f);
        g.Add("Gemm", [.. inputs], [m, n], batchM ? 0 : -1,
            $"transA {transA}, transB {transB}, alpha {alpha}, beta {beta}, C {(cDims is null ? "none" : "[" + string.Join(",", cDims) + "]")}{(detail.Length > 0 ? ", " + detail : "")}",
            Int("transA", transA), Int("transB", transB), Float("alpha", alpha), Float("beta", beta));
    }

    /// <summary>Conv 2-D on [N, C, H, W]: kernel, strides, pads, dilations, dense or depthwise groups, bias or not.</summary>
    private static void Conv(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank != 4 || v.BatchAxis > 0)
        {
            return;
        }

        var (c, h, w) = (v.Dims[1], v.Dims[2], v.Dims[3]);
        var kh = 1 + g.Rng.Next(3);
        var kw = 1 + g.Rng.Next(3);
        var pad = g.Rng.Next(2);
        var stride = 1 + g.Rng.Next(2);
        var dilation = g.Rng.Next(4) == 0 ? 2 : 1;
        var outH = ((h + (2 * pad) - (dilation * (kh - 1)) - 1) / stride) + 1;
        var outW = ((w + (2 * pad) - (dilation * (kw - 1)) - 1) / stride) + 1;
        if (h + (2 * pad) < (dilation * (kh - 1)) + 1 || w + (2 * pad) < (dilation * (kw - 1)) + 1)
        {
            return;
        }

        var group = c > 1 && g.Rng.Next(3) == 0 ? c : 1;
        var oc = group == 1 ? 1 + g.Rng.Next(6) : c * (1 + g.Rng.Next(2));
        var weight = g.Constant([oc, c / group, kh, kw], 1.5f / MathF.Sqrt(c / group * kh * kw));
        string[] inputs = g.Rng.Next(2) == 0 ? [v.Name, weight, g.Constant([oc])] : [v.Name, weight];
        g.Add("Conv", inputs, [v.Dims[0], oc, outH, outW], v.BatchAxis,
            $"{kh}x{kw}, stride {stride}, pad {pad}, dilation {dilation}, group {group}, {c}→{oc}",
            Ints("kernel_shape", kh, kw), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad), Ints("dilations", dilation, dilation), Int("group", group));
    }

    private static void Pool(RandomGraphGenerator g)
    {
        var v = g.Pick();
        if (v.Rank != 4 || v.BatchAxis > 0)
        {
            return;
        }

        if (g.Rng.Next(3) == 0)
        {
            g.Add(g.Choose("GlobalAveragePool", "GlobalMaxPool"), [v.Name], [v.Dims[0], v.Dims[1], 1, 1], v.BatchAxis, "");
            return;
        }

        var k = 1 + g.Rng.Next(3);
        var stride = 1 + g.Rng.Next(2);
        var pad = k > 1 ? g.Rng.Next(2) : 0; // pads must be smaller than the kernel
        if (v.Dims[2] + (2 * pad) < k || v.Dims[3] + (2 * pad) < k)
        {
            return;
        }

        var outH = ((v.Dims[2] + (2 * pad) - k) / stride) + 1;
        var outW = ((v.Dims[3] + (2 * pad) - k) / stride) + 1;
        var op = g.Choose("MaxPool", "AveragePool");
        var include = op == "AveragePool" ? g.Rng.Next(2) : 0;
        var attributes = new List<Onnx.Proto.AttributeProto> { Ints("kernel_shape", k, k), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad) };
        if (op == "AveragePool")
        {
            attributes.Add(Int("count_include_pad", include));
        }

        g.Add(op, [v.Name], [v.Dims[0], v.Dims[1], outH, outW], v.BatchAxis, $"{k}x{k}, stride {stride}, pad {pad}{(include == 1 ? ", pads counted" : "")}", [.. attributes]);
    }
}
