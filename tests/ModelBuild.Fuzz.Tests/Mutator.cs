using Google.Protobuf;
using ModelBuild.Onnx.Proto;
using AttrType = ModelBuild.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace ModelBuild.Fuzz.Tests;

/// <summary>
/// Deterministic mutations of an ONNX file: raw byte edits (what a corrupt download gives) and edits of parsed
/// protobuf fields (what a buggy or hostile exporter gives: missing inputs, zero strides, huge dims, wrong types).
/// The same (seed, case) always gives the same bytes, so a failing case is reproduced from its number.
/// </summary>
internal sealed class Mutator(Random random)
{
    private static readonly long[] s_interesting = [0, -1, 1, 2, -2, 3, 7, 64, 255, 256, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, long.MaxValue, long.MinValue, 1L << 40, -(1L << 40)];
    private static readonly float[] s_floats = [0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.Epsilon, 1e-30f, 65504f];
    private static readonly string[] s_ops =
    [
        "Conv", "Gemm", "MatMul", "Add", "Mul", "Sub", "Div", "Max", "Min", "Pow", "Relu", "Sigmoid", "Reshape", "Flatten", "Split", "Concat",
        "Slice", "Gather", "Shape", "Transpose", "Squeeze", "Unsqueeze", "Dropout", "BatchNormalization", "MaxPool", "AveragePool",
        "GlobalAveragePool", "Softmax", "Clip", "Cast", "Identity", "Pad", "Expand", "Range", "ConstantOfShape", "Tile", "ReduceMean",
        "Sum", "Mean", "Where", "Equal", "Constant", "Resize", "Erf", "Gelu", "LeakyRelu", "HardSigmoid", "Sqrt", "Neg", "Exp",
    ];

    private static readonly string[] s_attributes =
    [
        "transA", "transB", "alpha", "beta", "axis", "axes", "strides", "pads", "dilations", "kernel_shape", "group", "perm", "split",
        "training_mode", "to", "keepdims", "auto_pad", "epsilon", "ceil_mode", "count_include_pad", "allowzero", "value", "min", "max",
    ];

    public List<string> Log { get; } = [];

    public byte[] Mutate(byte[] seed)
    {
        // Mostly one edit: several at once rarely get past the reader, and the deeper stages are where faults hide.
        var rounds = random.Next(10) switch { < 6 => 1, < 9 => 2, _ => 3 };
        var bytes = seed;
        for (var r = 0; r < rounds; r++)
        {
            bytes = random.Next(10) < 4 ? MutateBytes(bytes) : MutateProto(bytes);
        }

        return bytes;
    }

    private byte[] MutateBytes(byte[] input)
    {
        var bytes = input.ToArray();
        if (bytes.Length == 0)
        {
            return [(byte)random.Next(256)];
        }

        var at = random.Next(bytes.Length);
        switch (random.Next(6))
        {
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                Log.Add($"flip bit at {at}");
                return bytes;
            case 1:
                bytes[at] = (byte)new[] { 0, 0xFF, 0x7F, 0x80, 0x01 }[random.Next(5)];
                Log.Add($"set byte {at}");
                return bytes;
            case 2:
                Log.Add($"truncate at {at}");
                return bytes[..at];
            case 3:
                var len = Math.Min(bytes.Length - at, 1 + random.Next(16));
                Log.Add($"delete {len} at {at}");
                return [.. bytes[..at], .. bytes[(at + len)..]];
            case 4:
                var chunk = bytes.AsSpan(at, Math.Min(bytes.Length - at, 1 + random.Next(32))).ToArray();
                var to = random.Next(bytes.Length);
                Log.Add($"duplicate {chunk.Length} from {at} to {to}");
                return [.. bytes[..to], .. chunk, .. bytes[to..]];
            default:
                var extra = new byte[1 + random.Next(8)];
                random.NextBytes(extra);
                Log.Add($"insert {extra.Length} random at {at}");
                return [.. bytes[..at], .. extra, .. bytes[at..]];
        }
    }

    private byte[] MutateProto(byte[] bytes)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return MutateBytes(bytes);
        }

        if (model.Graph is null)
        {
            return MutateBytes(bytes);
        }

        var g = model.Graph;
        switch (random.Next(12))
        {
            case 0 or 1: MutateNode(g); break;
            case 2 or 3: MutateAttribute(g); break;
            case 4 or 5: MutateTensor(g); break;
            case 6: MutateValueInfo(g); break;
            case 7: MutateConstantNode(g); break;
            case 8:
                if (model.OpsetImport.Count > 0)
                {
                    model.OpsetImport[0].Version = Pick(s_interesting);
                    Log.Add("opset version");
                }

                break;
            case 9: AddNode(g); break;
            case 10: ShuffleNodes(g); break;
            default: MutateNames(g); break;
        }

        return model.ToByteArray();
    }

    private void MutateNode(GraphProto g)
    {
        if (g.Node.Count == 0)
        {
            AddNode(g);
            return;
        }

        var node = g.Node[random.Next(g.Node.Count)];
        switch (random.Next(7))
        {
            case 0 when node.Input.Count > 0:
                node.Input.RemoveAt(random.Next(node.Input.Count));
                Log.Add($"{node.Name}: remove an input");
                break;
            case 1 when node.Output.Count > 0:
                node.Output.RemoveAt(random.Next(node.Output.Count));
                Log.Add($"{node.Name}: remove an output");
                break;
            case 2:
                node.OpType = Pick(s_ops);
                Log.Add($"{node.Name}: op -> {node.OpType}");
                break;
            case 3:
                node.Input.Add(AnyValueName(g));
                Log.Add($"{node.Name}: extra input");
                break;
            case 4 when node.Input.Count > 0:
                node.Input[random.Next(node.Input.Count)] = random.Next(3) == 0 ? "" : AnyValueName(g);
                Log.Add($"{node.Name}: rewire an input");
                break;
            case 5:
                g.Node.Remove(node);
                Log.Add($"{node.Name}: delete node");
                break;
            default:
                node.Domain = random.Next(2) == 0 ? "com.microsoft" : "ai.onnx";
                Log.Add($"{node.Name}: domain");
                break;
        }
    }

    private void MutateAttribute(GraphProto g)
    {
        if (g.Node.Count == 0)
        {
            return;
        }

        var node = g.Node[random.Next(g.Node.Count)];
        if (node.Attribute.Count == 0 || random.Next(3) == 0)
        {
            var name = Pick(s_attributes);
            var a = new AttributeProto { Name = name };
            switch (random.Next(3))
            {
                case 0: a.Type = AttrType.Int; a.I = Pick(s_interesting); break;
                case 1: a.Type = AttrType.Ints; a.Ints.AddRange(Enumerable.Range(0, random.Next(6)).Select(_ => Pick(s_interesting))); break;
                default: a.Type = AttrType.Float; a.F = Pick(s_floats); break;
            }

            node.Attribute.Add(a);
            Log.Add($"{node.Name}: add attribute {name}");
            return;
        }

        var attr = node.Attribute[random.Next(node.Attribute.Count)];
        switch (random.Next(6))
        {
            case 0: attr.I = Pick(s_interesting); break;
            case 1 when attr.Ints.Count > 0: attr.Ints[random.Next(attr.Ints.Count)] = Pick(s_interesting); break;
            case 2: attr.Ints.Clear(); break;
            case 3: attr.F = Pick(s_floats); break;
            case 4: attr.Type = (AttrType)random.Next(15); break;
            default: node.Attribute.Remove(attr); break;
        }

        Log.Add($"{node.Name}: attribute {attr.Name}");
    }

    private void MutateTensor(GraphProto g)
    {
        if (g.Initializer.Count == 0)
        {
            return;
        }

        MutateTensor(g.Initializer[random.Next(g.Initializer.Count)]);
    }

    private void MutateTensor(TensorProto t)
    {
        switch (random.Next(9))
        {
            case 0 when t.Dims.Count > 0: t.Dims[random.Next(t.Dims.Count)] = Pick(s_interesting); break;
            case 1: t.Dims.Add(Pick([0L, 1L, 2L])); break;
            case 2 when t.Dims.Count > 0: t.Dims.RemoveAt(random.Next(t.Dims.Count)); break;
            case 3: t.DataType = random.Next(24); break;
            case 4 when t.RawData.Length > 0: t.RawData = ByteString.CopyFrom(t.RawData.Span[..random.Next(t.RawData.Length)]); break;
            case 5 when t.RawData.Length >= 4 && t.DataType == 1:
                var raw = t.RawData.ToByteArray();
                var at = random.Next(raw.Length / 4) * 4;
                BitConverter.TryWriteBytes(raw.AsSpan(at), Pick(s_floats));
                t.RawData = ByteString.CopyFrom(raw);
                break;
            case 6:
                t.DataLocation = TensorProto.Types.DataLocation.External;
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = Pick(["/dev/zero", "../x.bin", "a\0b", "data.bin", "", "."]) });
                break;
            case 7:
                t.Dims.Clear();
                t.Dims.Add(0);
                t.RawData = ByteString.Empty;
                break;
            default:
                t.FloatData.Add(Pick(s_floats));
                break;
        }

        Log.Add($"tensor {t.Name}");
    }

    private void MutateValueInfo(GraphProto g)
    {
        var all = g.Input.Concat(g.Output).Concat(g.ValueInfo).ToList();
        if (all.Count == 0)
        {
            return;
        }

        var v = all[random.Next(all.Count)];
        var tensorType = v.Type?.TensorType;
        switch (random.Next(5))
        {
            case 0 when tensorType?.Shape is { Dim.Count: > 0 } shape: shape.Dim[random.Next(shape.Dim.Count)].DimValue = Pick(s_interesting); break;
            case 1 when tensorType is not null: tensorType.ElemType = random.Next(24); break;
            case 2 when tensorType?.Shape is { } shape: shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = Pick([0L, 1L, 3L]) }); break;
            case 3: v.Name = ""; break;
            default:
                if (g.Output.Contains(v))
                {
                    g.Output.Remove(v);
                }
                else
                {
                    g.Input.Remove(v);
                }

                break;
        }

        Log.Add($"value info {v.Name}");
    }

    private void MutateConstantNode(GraphProto g)
    {
        var constants = g.Node.Where(n => n.OpType == "Constant").ToList();
        if (constants.Count == 0)
        {
            MutateTensor(g);
            return;
        }

        var node = Pick(constants.ToArray());
        if (node.Attribute.FirstOrDefault(a => a.T is not null) is { } attr)
        {
            MutateTensor(attr.T);
        }
        else
        {
            node.Attribute.Clear();
            Log.Add("constant without value");
        }
    }

    private void AddNode(GraphProto g)
    {
        var op = Pick(s_ops);
        var node = new NodeProto { OpType = op, Name = "fuzz_" + op };
        for (var i = random.Next(4); i > 0; i--)
        {
            node.Input.Add(AnyValueName(g));
        }

        node.Output.Add(random.Next(4) == 0 && g.Output.Count > 0 ? g.Output[0].Name : "fuzz_out_" + random.Next(100));
        if (op == "Dropout")
        {
            node.Input.Clear();
            node.Input.Add(AnyValueName(g));
            node.Input.Add("");
            node.Input.Add("fuzz_training");
            g.Initializer.Add(new TensorProto { Name = "fuzz_training", DataType = 9, RawData = ByteString.CopyFrom(1) });
        }

        g.Node.Insert(random.Next(g.Node.Count + 1), node);
        Log.Add($"add node {op}");
    }

    private void ShuffleNodes(GraphProto g)
    {
        if (g.Node.Count < 2)
        {
            return;
        }

        var i = random.Next(g.Node.Count);
        var j = random.Next(g.Node.Count);
        (g.Node[i], g.Node[j]) = (g.Node[j], g.Node[i]);
        Log.Add($"swap nodes {i} {j}");
    }

    private void MutateNames(GraphProto g)
    {
        if (g.Node.Count == 0)
        {
            return;
        }

        var node = g.Node[random.Next(g.Node.Count)];
        if (node.Output.Count > 0)
        {
            node.Output[0] = Pick(["", AnyValueName(g), "x\0y"]);
        }

        Log.Add($"{node.Name}: output name");
    }

    private string AnyValueName(GraphProto g)
    {
        var names = g.Input.Select(i => i.Name).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Node.SelectMany(n => n.Output)).ToList();
        return names.Count == 0 || random.Next(8) == 0 ? "missing_" + random.Next(10) : names[random.Next(names.Count)];
    }

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];
}
