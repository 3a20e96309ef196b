using System.Text;
using System.Text.Unicode;
using Google.Protobuf;
using ModelBuild.Onnx.Proto;
using AttrType = ModelBuild.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace ModelBuild.Graph.Onnx;

/// <summary>
/// Converts node attributes. Plain kinds map to <see cref="NodeAttribute"/>; everything the IR does not model
/// (graphs, sparse tensors, tensor lists, type protos, attribute references, doc strings, non-UTF-8 strings)
/// is kept as the serialized <c>AttributeProto</c> and written back byte for byte.
/// </summary>
public static class OnnxAttributes
{
    public static NodeAttribute FromProto(AttributeProto proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        if (proto.HasRefAttrName || proto.HasDocString)
        {
            return Opaque(proto);
        }

        return EffectiveType(proto) switch
        {
            AttrType.Float => NodeAttribute.Of(proto.Name, proto.F),
            AttrType.Int => NodeAttribute.Of(proto.Name, proto.I),
            AttrType.String when Utf8.IsValid(proto.S.Span) => NodeAttribute.Of(proto.Name, proto.S.ToStringUtf8()),
            AttrType.Tensor when proto.T is not null => NodeAttribute.Of(proto.Name, OnnxTensors.ToTensor(proto.T, TensorOrigin.Initializer)),
            AttrType.Floats => NodeAttribute.Of(proto.Name, proto.Floats.ToArray()),
            AttrType.Ints => NodeAttribute.Of(proto.Name, proto.Ints.ToArray()),
            AttrType.Strings when proto.Strings.All(s => Utf8.IsValid(s.Span)) =>
                NodeAttribute.Of(proto.Name, proto.Strings.Select(s => s.ToStringUtf8()).ToArray()),
            _ => Opaque(proto),
        };
    }

    public static AttributeProto ToProto(NodeAttribute attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        if (attribute.Kind == AttributeKind.Opaque)
        {
            return AttributeProto.Parser.ParseFrom(attribute.OpaqueProto);
        }

        var proto = new AttributeProto { Name = attribute.Name };
        switch (attribute.Kind)
        {
            case AttributeKind.Float: proto.Type = AttrType.Float; proto.F = attribute.Float; break;
            case AttributeKind.Int: proto.Type = AttrType.Int; proto.I = attribute.Int; break;
            case AttributeKind.String: proto.Type = AttrType.String; proto.S = ByteString.CopyFromUtf8(attribute.String); break;
            case AttributeKind.Tensor: proto.Type = AttrType.Tensor; proto.T = OnnxTensors.ToProto(attribute.Tensor!); break;
            case AttributeKind.Floats: proto.Type = AttrType.Floats; proto.Floats.AddRange(attribute.Floats); break;
            case AttributeKind.Ints: proto.Type = AttrType.Ints; proto.Ints.AddRange(attribute.Ints); break;
            case AttributeKind.Strings:
                proto.Type = AttrType.Strings;
                proto.Strings.AddRange(attribute.Strings.Select(s => ByteString.CopyFrom(Encoding.UTF8.GetBytes(s))));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(attribute), attribute.Kind, "Unknown attribute kind.");
        }

        return proto;
    }

    /// <summary>The declared type, or for very old files that omit it, the type implied by the field that is set.</summary>
    private static AttrType EffectiveType(AttributeProto p)
    {
        if (p.Type != AttrType.Undefined)
        {
            return p.Type;
        }

        return p.Floats.Count > 0 ? AttrType.Floats
            : p.Ints.Count > 0 ? AttrType.Ints
            : p.Strings.Count > 0 ? AttrType.Strings
            : p.HasF ? AttrType.Float
            : p.HasI ? AttrType.Int
            : p.HasS ? AttrType.String
            : p.T is not null ? AttrType.Tensor
            : AttrType.Undefined;
    }

    private static NodeAttribute Opaque(AttributeProto proto) => NodeAttribute.Opaque(proto.Name, proto.ToByteArray());
}
