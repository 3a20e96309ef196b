using System.Runtime.InteropServices;
using Google.Protobuf;
using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;
using ModelBuild.Runtime;

namespace ModelBuild.Benchmarks;

/// <summary>
/// The wide MLP of issue 12 (784 → 1024 → 1024 → 10, ReLU between), random weights, stored in one of
/// <see cref="Variants"/> with the product's blob writer and run through <c>Kernels.Dense</c> as a generated
/// predictor's DenseOps run it; its float32 weights as an ONNX model (Gemm, transB = 1) for ONNX Runtime.
/// </summary>
internal sealed class WideMlp
{
    /// <summary>
    /// Storage variants. "-f32" suffix: the same blob read as float32 (what the runtime did before Dense read
    /// compact weights directly: decoded at load). "int8-act": the int8 blob with 8-bit activations, quantised per
    /// call as DynamicQuantizeLinear does (QuantizedDenseOp's kernel, the manifest's quantize-activations pass).
    /// "pal4": the 4-bit codebook snapped onto an int8 grid (the palettize pass's default for 4 bits, GridPalette16Gemv);
    /// "pal4-float": the same codebook left as floats (the pass with "int8Grid": false, Palette16Gemv).
    /// "sparseNN": NN % of the weights set to 0 (smallest magnitudes), float32 values; "-csr": kept as CSR whatever its
    /// density (SparseWeights.MaxDensity's break-even; without it an entry denser than 25 % is decoded to float32).
    /// </summary>
    public static readonly string[] Variants =
        ["fp32", "int8", "int8-act", "int4", "int4-g32", "int4-g64", "int4-g128", "int3", "int2", "pal4", "pal4-float", "pal3", "pal2", "fp16", "bf16",
         "sparse90", "sparse75", "sparse75-csr", "sparse50-csr", "int4-f32", "pal4-f32"];

    internal static readonly int[] Sizes = [784, 1024, 1024, 10];

    private readonly WeightMatrix[] _weights;
    private readonly float[][] _biases;
    private float[] _h1 = [];
    private float[] _h2 = [];
    private byte[] _codes = [];
    private readonly bool _int8Activations;

    public WideMlp(WeightBlob blob, bool decoded, bool int8Activations = false, bool csr = false)
    {
        _int8Activations = int8Activations;
        _weights = [.. Enumerable.Range(0, 3).Select(l => decoded ? blob.Matrix(2 * l)
            : csr ? new WeightMatrix(ModelBuild.Runtime.Formats.SparseWeights.TryCreate(blob.Floats(2 * l), Sizes[l + 1], Sizes[l], 1)!)
            : blob.DenseMatrix(2 * l))];
        _biases = [.. Enumerable.Range(0, 3).Select(l => blob.Floats((2 * l) + 1))];
    }

    public static int Inputs => Sizes[0];

    public static int Outputs => Sizes[^1];

    /// <summary>y = the MLP of x, <paramref name="batch"/> rows; scratch is made on the first call.</summary>
    public void Predict(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        if (_h1.Length < batch * Sizes[1])
        {
            _h1 = new float[batch * Sizes[1]];
            _h2 = new float[batch * Sizes[2]];
            _codes = new byte[batch * Sizes.Max()];
        }

        if (_int8Activations)
        {
            Kernels.QuantizedDense(x, _weights[0], _biases[0], _h1, batch, Activation.Relu, 0, 0, _codes);
            Kernels.QuantizedDense(_h1, _weights[1], _biases[1], _h2, batch, Activation.Relu, 0, 0, _codes);
            Kernels.QuantizedDense(_h2, _weights[2], _biases[2], y, batch, Activation.None, 0, 0, _codes);
            return;
        }

        Kernels.Dense(x, _weights[0], _biases[0], _h1, batch, Activation.Relu);
        Kernels.Dense(_h1, _weights[1], _biases[1], _h2, batch, Activation.Relu);
        Kernels.Dense(_h2, _weights[2], _biases[2], y, batch, Activation.None);
    }

    /// <summary>The float32 weights ([out, in] row-major) and biases, from a fixed seed.</summary>
    public static (float[][] Weights, float[][] Biases) Parameters()
    {
        var rng = new Random(12);
        var weights = new float[3][];
        var biases = new float[3][];
        for (int l = 0; l < 3; l++)
        {
            float bound = 1 / MathF.Sqrt(Sizes[l]);
            weights[l] = [.. Enumerable.Range(0, Sizes[l] * Sizes[l + 1]).Select(_ => ((2 * rng.NextSingle()) - 1) * bound)];
            biases[l] = [.. Enumerable.Range(0, Sizes[l + 1]).Select(_ => ((2 * rng.NextSingle()) - 1) * 0.1f)];
        }

        return (weights, biases);
    }

    /// <summary>The blob of <paramref name="variant"/> (entries w0, b0, w1, b1, w2, b2).</summary>
    public static byte[] Blob(string variant)
    {
        (float[][] weights, float[][] biases) = Parameters();
        string storage = variant.Replace("-f32", "", StringComparison.Ordinal).Replace("-act", "", StringComparison.Ordinal).Replace("-csr", "", StringComparison.Ordinal);
        var writer = new WeightBlobWriter();
        for (int l = 0; l < 3; l++)
        {
            int rows = Sizes[l + 1], cols = Sizes[l];
            writer.AddStored($"w{l}", Store(storage, weights[l], rows, cols), [rows, cols]);
            writer.Add($"b{l}", biases[l], [rows]);
        }

        return writer.ToArray();
    }

    internal static StoredMatrix Store(string variant, float[] w, int rows, int cols) => variant switch
    {
        "fp32" => new DenseFloat(rows, cols, w),
        "int8" => Linear(w, rows, cols, 8, cols),
        "int4" => Linear(w, rows, cols, 4, cols),
        "int3" => Linear(w, rows, cols, 3, cols),
        "int2" => Linear(w, rows, cols, 2, cols),
        "pal4" => Palette(w, rows, cols, 4, grid: true),
        "pal4-float" => Palette(w, rows, cols, 4),
        "pal3" => Palette(w, rows, cols, 3),
        "pal2" => Palette(w, rows, cols, 2),
        "fp16" => new HalfFloat(rows, cols, [.. w.Select(v => BitConverter.HalfToUInt16Bits((Half)v))], false),
        "bf16" => new HalfFloat(rows, cols, [.. w.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))], true),
        _ when variant.StartsWith("sparse", StringComparison.Ordinal) => Sparse(w, rows, cols, int.Parse(variant[6..], System.Globalization.CultureInfo.InvariantCulture) / 100.0),
        _ when variant.StartsWith("int4-g", StringComparison.Ordinal) => Linear(w, rows, cols, 4, int.Parse(variant[6..], System.Globalization.CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"unknown variant '{variant}'"),
    };

    /// <summary>Symmetric round-to-nearest, scale = max|w|/(2^(b−1) − 1) per group.</summary>
    internal static LinearQuantized Linear(float[] w, int rows, int cols, int bits, int group)
    {
        int perRow = (cols + group - 1) / group, max = (1 << (bits - 1)) - 1;
        var scales = new float[rows * perRow];
        var codes = new sbyte[w.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int g = 0; g < perRow; g++)
            {
                int start = (r * cols) + (g * group), length = Math.Min(group, cols - (g * group));
                float amax = 0;
                for (int i = 0; i < length; i++)
                {
                    amax = Math.Max(amax, Math.Abs(w[start + i]));
                }

                float scale = amax > 0 ? amax / max : 1;
                scales[(r * perRow) + g] = scale;
                for (int i = 0; i < length; i++)
                {
                    codes[start + i] = (sbyte)Math.Clamp(MathF.Round(w[start + i] / scale), -max - 1, max);
                }
            }
        }

        return new LinearQuantized(rows, cols, bits, group, codes, scales, null);
    }

    /// <summary>One 2^bits-entry codebook per tensor, evenly spaced over the value range (nearest entry), optionally snapped onto an int8 grid as the palettize pass does.</summary>
    private static Palettized Palette(float[] w, int rows, int cols, int bits, bool grid = false)
    {
        int top = (1 << bits) - 1;
        float lo = w.Min(), hi = w.Max(), step = (hi - lo) / top;
        float[] book = [.. Enumerable.Range(0, top + 1).Select(i => lo + (i * step))];
        if (grid)
        {
            book = ModelBuild.Compression.Algorithms.Quantization.GridPalette.Snap(book)!;
            byte[] nearest = [.. w.Select(v => (byte)ModelBuild.Compression.Algorithms.Quantization.KMeansPalette.Nearest(v, book))];
            return new Palettized(rows, cols, bits, rows, book, nearest);
        }

        byte[] indices = [.. w.Select(v => (byte)Math.Clamp((int)MathF.Round((v - lo) / step), 0, top))];
        return new Palettized(rows, cols, bits, rows, book, indices);
    }

    /// <summary>The <paramref name="fraction"/> smallest magnitudes set to 0 (per tensor), float32 values kept.</summary>
    private static SparseMatrix Sparse(float[] w, int rows, int cols, double fraction)
    {
        float[] sorted = [.. w.Select(Math.Abs).Order()];
        float threshold = sorted[(int)(fraction * sorted.Length)];
        bool[] mask = [.. w.Select(v => Math.Abs(v) >= threshold)];
        return new SparseMatrix(rows, cols, mask, new DenseFloat(rows, cols, [.. w.Select((v, i) => mask[i] ? v : 0)]));
    }

    /// <summary>The float32 MLP as ONNX (opset 13, input "x" [batch, 784], output "y" [batch, 10]).</summary>
    public static byte[] Onnx()
    {
        (float[][] weights, float[][] biases) = Parameters();
        var graph = new GraphProto { Name = "wide_mlp" };
        graph.Input.Add(Value("x", Sizes[0]));
        graph.Output.Add(Value("y", Sizes[^1]));
        for (int l = 0; l < 3; l++)
        {
            graph.Initializer.Add(Tensor($"w{l}", [Sizes[l + 1], Sizes[l]], weights[l]));
            graph.Initializer.Add(Tensor($"b{l}", [Sizes[l + 1]], biases[l]));
            string input = l == 0 ? "x" : $"a{l - 1}", output = l == 2 ? "y" : $"h{l}";
            var gemm = new NodeProto { OpType = "Gemm", Name = $"gemm{l}" };
            gemm.Input.AddRange([input, $"w{l}", $"b{l}"]);
            gemm.Output.Add(output);
            gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Node.Add(gemm);
            if (l < 2)
            {
                var relu = new NodeProto { OpType = "Relu", Name = $"relu{l}" };
                relu.Input.Add(output);
                relu.Output.Add($"a{l}");
                graph.Node.Add(relu);
            }
        }

        var model = new ModelProto { IrVersion = 8, ProducerName = "ModelBuild.Benchmarks", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return OnnxWriter.Write(model);
    }

    internal static ValueInfoProto Value(string name, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    internal static TensorProto Tensor(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }
}
