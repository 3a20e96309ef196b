using System.CommandLine;
using ModelBuild.Cli.Inspection;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Cli.Commands;

/// <summary><c>modelbuild inspect &lt;model.onnx&gt;</c>: what the model contains, before choosing a compression.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Path of the ONNX model file." };
        var command = new Command("inspect", "Print a model's inputs, outputs, operators (subgraphs included), weights and what the generated runtime covers.") { model };
        command.SetAction(parseResult => CommandErrors.Guard(parseResult, output =>
        {
            var path = parseResult.GetValue(model)!;
            var graph = OnnxImporter.Import(path);
            ModelReport.Write(output, path, new FileInfo(path).Length, graph);
            ModelReport.WriteCoverage(output, RuntimeCoverage.Check(path));
            return 0;
        }, parseResult.GetValue(model)));
        return command;
    }
}
