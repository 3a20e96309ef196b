using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Conformance.Tests;

/// <summary>
/// Turns a node test into the kind of model ModelBuild compiles: in the node tests every operand is a graph input,
/// while in real models weights are constants. The first input stays the model input; every other input becomes
/// an initializer holding the test's value. Written with ModelBuild's own importer and exporter.
/// </summary>
internal static class NodeTestConverter
{
    public static ModelGraph Convert(NodeTestCase test)
    {
        // Import a copy: the importer may normalise the proto, and the test case is shared across threads.
        var graph = OnnxImporter.Import(test.Model.Clone(), baseDirectory: null, fileNameForMessages: test.Name);
        if (graph.Inputs.Count != test.Inputs.Count)
        {
            throw new InvalidOperationException($"{test.Name}: {graph.Inputs.Count} graph inputs but {test.Inputs.Count} input files.");
        }

        // In input order, so the initializers are listed as the inputs were.
        foreach (var (input, value) in graph.Inputs.Zip(test.Inputs).Skip(1))
        {
            var data = value ?? throw new InvalidOperationException($"{test.Name}: input '{input.Name}' is not a tensor.");
            graph.SetInitializer(new Tensor(input.Name, data.DataType, data.Dims, data.RawData, TensorOrigin.Initializer)
            {
                StringData = data.StringData,
            });
        }

        graph.Inputs.RemoveRange(1, graph.Inputs.Count - 1);
        return graph;
    }

    /// <summary>The converted model as ONNX bytes (what both ONNX Runtime and ModelBuild are given).</summary>
    public static byte[] ConvertToBytes(NodeTestCase test) => OnnxExporter.ToBytes(Convert(test));
}
