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

        for (var i = graph.Inputs.Count - 1; i >= 1; i--)
        {
            var input = graph.Inputs[i];
            var value = test.Inputs[i] ?? throw new InvalidOperationException($"{test.Name}: input '{input.Name}' is not a tensor.");
            graph.Inputs.RemoveAt(i);
            graph.SetInitializer(new Tensor(input.Name, value.DataType, value.Dims, value.RawData, TensorOrigin.Initializer)
            {
                StringData = value.StringData,
            });
        }

        return graph;
    }

    /// <summary>The converted model as ONNX bytes (what both ONNX Runtime and ModelBuild are given).</summary>
    public static byte[] ConvertToBytes(NodeTestCase test) => OnnxExporter.ToBytes(Convert(test));
}
