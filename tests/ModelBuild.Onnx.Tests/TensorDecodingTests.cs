using Google.Protobuf;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx.Proto;
using DT = ModelBuild.Onnx.Proto.TensorProto.Types.DataType;

namespace ModelBuild.Onnx.Tests;

/// <summary>
/// Every element type decodes to the same little-endian bytes from raw_data and from its typed field. Expected
/// bytes are written out by hand from the IEEE 754 / two's-complement encodings, not computed by the code under test.
/// </summary>
public sealed class TensorDecodingTests
{
    public static TheoryData<string> Cases => new(s_cases.Keys);

    private static readonly Dictionary<string, (DT Type, Action<TensorProto> Fill, string Hex, double[]? Values)> s_cases = new()
    {
        ["float"] = (DT.Float, t => t.FloatData.AddRange([1.5f, -2.25f]), "0000C03F 000010C0", [1.5, -2.25]),
        ["double"] = (DT.Double, t => t.DoubleData.AddRange([1.5, -2.25]), "000000000000F83F 00000000000002C0", [1.5, -2.25]),
        ["float16"] = (DT.Float16, t => t.Int32Data.AddRange([0x3E00, 0xC000, 0x7BFF]), "003E 00C0 FF7B", [1.5, -2, 65504]),
        ["bfloat16"] = (DT.Bfloat16, t => t.Int32Data.AddRange([0x3FC0, 0xC000]), "C03F 00C0", [1.5, -2]),
        ["int8"] = (DT.Int8, t => t.Int32Data.AddRange([-128, -1, 0, 127]), "80 FF 00 7F", [-128, -1, 0, 127]),
        ["uint8"] = (DT.Uint8, t => t.Int32Data.AddRange([0, 255]), "00 FF", [0, 255]),
        ["int16"] = (DT.Int16, t => t.Int32Data.AddRange([-32768, -1, 258]), "0080 FFFF 0201", [-32768, -1, 258]),
        ["uint16"] = (DT.Uint16, t => t.Int32Data.AddRange([65535, 258]), "FFFF 0201", [65535, 258]),
        ["int32"] = (DT.Int32, t => t.Int32Data.AddRange([-2, 0x01020304]), "FEFFFFFF 04030201", [-2, 0x01020304]),
        ["uint32"] = (DT.Uint32, t => t.Uint64Data.AddRange([4294967295UL, 0x01020304UL]), "FFFFFFFF 04030201", [4294967295, 0x01020304]),
        ["int64"] = (DT.Int64, t => t.Int64Data.AddRange([-2L, 0x0102030405060708L]), "FEFFFFFFFFFFFFFF 0807060504030201", [-2, 0x0102030405060708]),
        ["uint64"] = (DT.Uint64, t => t.Uint64Data.AddRange([ulong.MaxValue]), "FFFFFFFFFFFFFFFF", null),
        ["bool"] = (DT.Bool, t => t.Int32Data.AddRange([1, 0, 1]), "01 00 01", [1, 0, 1]),
        ["complex64"] = (DT.Complex64, t => t.FloatData.AddRange([1.5f, -2.25f]), "0000C03F 000010C0", null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TypedFields_DecodeToLittleEndianBytes(string name)
    {
        var (type, fill, hex, values) = s_cases[name];
        var expected = Convert.FromHexString(hex.Replace(" ", ""));
        var proto = new TensorProto { Name = name, DataType = (int)type };
        fill(proto);
        var count = type == DT.Complex64 ? OnnxDataTypes.FieldCount(proto, OnnxDataTypes.TypedField.FloatData) / 2 : OnnxDataTypes.AllTypedCount(proto);
        proto.Dims.Add(count);

        var tensor = Decode(proto);
        Assert.Equal(expected, tensor.RawData);
        AssertValues(tensor, values);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RawData_DecodesToTheSameBytes(string name)
    {
        var (type, _, hex, values) = s_cases[name];
        var raw = Convert.FromHexString(hex.Replace(" ", ""));
        var proto = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        proto.Dims.Add(raw.Length / OnnxDataTypes.RawByteCount((int)type, 1)!.Value);

        var tensor = Decode(proto);
        Assert.Equal(raw, tensor.RawData);
        AssertValues(tensor, values);

        // Export always writes raw_data with exactly these bytes.
        var exported = OnnxTensors.ToProto(tensor);
        Assert.Equal(raw, exported.RawData.ToByteArray());
        Assert.Equal(0, OnnxDataTypes.AllTypedCount(exported));
    }

    [Fact]
    public void Strings_DecodeFromStringData_AndRoundTrip()
    {
        var proto = new TensorProto { Name = "labels", DataType = (int)DT.String };
        proto.Dims.Add(2);
        proto.StringData.Add(ByteString.CopyFromUtf8("zero"));
        proto.StringData.Add(ByteString.CopyFromUtf8("één"));
        var tensor = Decode(proto);
        Assert.Equal(DataType.String, tensor.DataType);
        Assert.Equal(["zero", "één"], tensor.StringData.Select(s => System.Text.Encoding.UTF8.GetString(s)));
        Assert.Equal(proto, OnnxTensors.ToProto(tensor));
    }

    [Fact]
    public void ScalarAndEmptyTensors_Decode()
    {
        var scalar = new TensorProto { Name = "s", DataType = (int)DT.Float };
        scalar.FloatData.Add(3f);
        Assert.Equal([3f], Decode(scalar).ToFloats());

        var empty = new TensorProto { Name = "e", DataType = (int)DT.Float };
        empty.Dims.AddRange([0L, 5]);
        Assert.Empty(Decode(empty).RawData);
    }

    /// <summary>Goes through the reader (validation) and the importer's decoder, as a real file would.</summary>
    private static Tensor Decode(TensorProto proto)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.Add(proto);
        var model = OnnxReader.Read(OnnxWriter.Write(ProtoBuilders.Model(graph)), null);
        return OnnxImporter.Import(model).GetInitializer(proto.Name)!;
    }

    private static void AssertValues(Tensor tensor, double[]? expected)
    {
        if (expected is null)
        {
            return;
        }

        var isFloat = tensor.DataType is DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16;
        var actual = isFloat ? tensor.ToDoubles() : tensor.ToInt64s().Select(v => (double)v).ToArray();
        Assert.Equal(expected, actual);
    }
}
