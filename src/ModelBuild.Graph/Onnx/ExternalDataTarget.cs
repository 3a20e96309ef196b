using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Onnx;

/// <summary>
/// Where <see cref="OnnxStreamingWriter"/> puts the large initializers of a model written with ONNX external data
/// (ONNX IR spec, "External Tensor Data"): their bytes go to <see cref="Data"/>, a file beside the model named
/// <see cref="Location"/>, and each tensor's proto carries <c>data_location = EXTERNAL</c> and the
/// <c>location</c>/<c>offset</c>/<c>length</c> entries instead of <c>raw_data</c>. This lifts protobuf's 2 GiB limit
/// for models that are only written for ONNX Runtime to read back (issue 12: calibration on multi-gigabyte models).
/// </summary>
/// <param name="Data">The data file's stream, positioned at its start; written after the model.</param>
/// <param name="Location">The data file's name relative to the model's folder (no folders: ONNX Runtime rejects paths that leave it).</param>
/// <param name="MinBytes">Tensors with at least this many bytes of raw data go to the file; smaller ones stay inline.</param>
internal sealed record ExternalDataTarget(Stream Data, string Location, long MinBytes)
{
    /// <summary>
    /// Segment alignment, bytes: ONNX Runtime maps an external segment into memory instead of copying it when its
    /// offset is a multiple of the allocation granularity (4 KiB pages on Linux, 64 KiB on Windows).
    /// </summary>
    public const long Alignment = 64 * 1024;

    /// <summary>Each initializer's offset in the data file, or null where it stays inline (all of them without a target).</summary>
    public static long?[] Place(IReadOnlyList<Tensor> initializers, ExternalDataTarget? target)
    {
        var offsets = new long?[initializers.Count];
        long end = 0;
        for (int i = 0; target is not null && i < initializers.Count; i++)
        {
            var tensor = initializers[i];
            if (OnnxStreamingWriter.HasRawData(tensor) && OnnxStreamingWriter.RawLength(tensor) is var length && length >= target.MinBytes && length > 0)
            {
                var offset = (end + Alignment - 1) / Alignment * Alignment;
                offsets[i] = offset;
                end = offset + length;
            }
        }

        return offsets;
    }

    /// <summary>The tensor's proto pointing at its segment (the fields <see cref="OnnxTensors.ToProto"/> sets, without raw_data).</summary>
    public static TensorProto Proto(Tensor tensor, string location, long offset)
    {
        var proto = new TensorProto { DataType = (int)tensor.DataType, DataLocation = TensorProto.Types.DataLocation.External };
        if (tensor.Name.Length > 0)
        {
            proto.Name = tensor.Name;
        }

        proto.Dims.AddRange(tensor.Dims);
        proto.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        proto.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        proto.ExternalData.Add(new StringStringEntryProto
        {
            Key = "length",
            Value = OnnxStreamingWriter.RawLength(tensor).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return proto;
    }

    /// <summary>Writes the placed tensors' bytes at their offsets (zeros between segments), one tensor in memory at a time.</summary>
    public void WriteData(IReadOnlyList<Tensor> initializers, long?[] offsets)
    {
        long position = 0;
        Span<byte> zeros = stackalloc byte[4096];
        zeros.Clear();
        for (int i = 0; i < initializers.Count; i++)
        {
            if (offsets[i] is not { } offset)
            {
                continue;
            }

            for (; position < offset; position += Math.Min(zeros.Length, offset - position))
            {
                Data.Write(zeros[..(int)Math.Min(zeros.Length, offset - position)]);
            }

            var raw = initializers[i].RawData;
            Data.Write(raw);
            position += raw.LongLength;
        }
    }
}
