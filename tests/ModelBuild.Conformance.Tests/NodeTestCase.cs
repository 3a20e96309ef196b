using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;
using ModelBuild.Onnx;
using ModelBuild.Onnx.Proto;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// One ONNX backend node test (<c>node/test_x/</c>): the model and its first data set, read with ModelBuild's own
/// ONNX reader. <c>input_i.pb</c> belongs to the graph's i-th input, <c>output_i.pb</c> to its i-th output; values
/// that are not tensors (sequences, optionals: not applicable here) are null.
/// </summary>
internal sealed record NodeTestCase(string Name, ModelProto Model, IReadOnlyList<Tensor?> Inputs, IReadOnlyList<Tensor?> Outputs)
{
    public static NodeTestCase Load(string folder)
    {
        var name = Path.GetFileName(folder);
        var model = OnnxReader.Read(Path.Combine(folder, "model.onnx"));
        var data = Path.Combine(folder, "test_data_set_0");
        var inputs = model.Graph.Input.Select((v, i) => ReadTensor(Path.Combine(data, $"input_{i}.pb"), v)).ToList();
        var outputs = model.Graph.Output.Select((v, i) => ReadTensor(Path.Combine(data, $"output_{i}.pb"), v)).ToList();
        return new NodeTestCase(name, model, inputs, outputs);
    }

    /// <summary>Node ops of the top-level graph, in order (expanded function tests have several).</summary>
    public IEnumerable<string> OpTypes => Model.Graph.Node.Select(n => n.OpType);

    /// <summary>
    /// A serialized TensorProto, checked like a model's initializer (so a corrupt file is an MB error, not garbage) by
    /// wrapping it in a one-initializer model for <see cref="OnnxReader"/>. Non-tensor data (sequences, optionals) is null.
    /// </summary>
    private static Tensor? ReadTensor(string path, ValueInfoProto value)
    {
        if (value.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType)
        {
            return null;
        }

        var proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var holder = new ModelProto { IrVersion = 8, Graph = new GraphProto() };
        holder.Graph.Initializer.Add(proto);
        OnnxReader.ValidateAndLoadExternalData(holder, baseDirectory: null, fileNameForMessages: path);
        return OnnxTensors.ToTensor(proto, TensorOrigin.Initializer, value.Name);
    }
}
