using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Graph.Onnx;

/// <summary>Converts typed value declarations (graph inputs, outputs, value_info) for tensor-typed values.</summary>
public static class OnnxValueInfos
{
    /// <summary>The tensor type and shape of <paramref name="proto"/>, or null when it is not a tensor.</summary>
    public static ValueInfo? FromProto(ValueInfoProto proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        var tensorType = proto.Type?.TensorType;
        if (tensorType is null)
        {
            return null;
        }

        TensorShape? shape = null;
        if (tensorType.Shape is { } s)
        {
            // A negative dim_value is how some exporters spell "unknown"; the IR has a proper unknown.
            shape = new TensorShape(s.Dim.Select(d =>
                d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0 ? Dim.Of(d.DimValue)
                : d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? Dim.Sym(d.DimParam)
                : Dim.Unknown));
        }

        return new ValueInfo(proto.Name, (DataType)tensorType.ElemType, shape)
        {
            DocString = proto.HasDocString ? proto.DocString : null,
        };
    }

    /// <summary>Like <see cref="FromProto"/> but a non-tensor value is an MB1007 error naming <paramref name="role"/>.</summary>
    public static ValueInfo FromProtoRequired(ValueInfoProto proto, string role, string? file) =>
        FromProto(proto) ?? throw new ModelBuildException(OnnxErrors.UnsupportedConstruct, file,
            $"Graph {role} '{proto.Name}' is not a tensor (sequence, map or optional values are not supported). Change the model to take and return plain tensors.");

    public static ValueInfoProto ToProto(ValueInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)info.ElementType };
        if (info.Shape is { } shape)
        {
            var shapeProto = new TensorShapeProto();
            foreach (var dim in shape)
            {
                var d = new TensorShapeProto.Types.Dimension();
                if (dim.Value is { } v)
                {
                    d.DimValue = v;
                }
                else if (dim.Symbol is { } sym)
                {
                    d.DimParam = sym;
                }

                shapeProto.Dim.Add(d);
            }

            tensorType.Shape = shapeProto;
        }

        var proto = new ValueInfoProto { Name = info.Name, Type = new TypeProto { TensorType = tensorType } };
        if (info.DocString is not null)
        {
            proto.DocString = info.DocString;
        }

        return proto;
    }
}
