using ModelBuild.Generator.Emission;
using ModelBuild.Generator.Model;
using ModelBuild.Generator.Parsing;

namespace ModelBuild.Generator.Tests;

public sealed class PlanParserTests
{
    private const string Path = "/obj/MlpModel.mbplan";

    [Fact]
    public void PlannerOutput_ParsesEveryRecord()
    {
        var spec = Parse(Plans.Mlp);

        Assert.Equal(("MlpModel", "Tests.Models", "mlp.onnx", "MlpModel.weights.mbw"), (spec.ClassName, spec.Namespace, spec.SourceFile, spec.Resource));
        Assert.Equal(new WeightSpec(1, "fc1.weight", "float32", EquatableArray.From([8, 4])), spec.Weights[1]);
        Assert.Equal(new ValueSpec(1, "r", "float32", 1, -1, EquatableArray<int>.Empty, "", "N,8"), spec.Values[1]);
        Assert.Equal(["N", "4"], spec.Inputs[0].Shape);
        Assert.Equal((true, 4, 0), (spec.Inputs[0].IsBatchFirst, spec.Inputs[0].ElementsPerSample, spec.Inputs[0].Value));
        Assert.Equal(("Probabilities", 3), (spec.Outputs[0].Identifier, spec.Outputs[0].Value));
        Assert.Equal(["Dense", "Dense", "Softmax"], spec.Ops.Select(o => o.Kind));
        Assert.Equal("h_node", spec.Ops[0].Node);
        Assert.Equal(["X=0", "Y=1", "Weight=1", "Bias=0", "Act=Activation.Relu"], spec.Ops[0].Args.Select(a => a.Key + "=" + a.Value));
    }

    [Fact]
    public void ConstantValues_KeepTheirBlobEntryDimsAndInlineData()
    {
        var layout = Parse(Plans.Layout);
        var inline = Parse(Plans.Layout.Replace("value 7 name=\"offset\" type=float32 blob=2 dims=[2]", "value 7 name=\"offset\" type=float32 dims=[2] data=[0.5,-1E-05]"));

        Assert.Equal(new ValueSpec(4, "scale", "float32", -1, 1, EquatableArray.From(new[] { 3, 1, 1 }), "", "3,1,1"), layout.Values[4]);
        Assert.Equal((EquatableArray.From(new[] { 2 }), "[0.5,-1E-05]", -1), (inline.Values[7].Dims, inline.Values[7].Data, inline.Values[7].Blob));
        Assert.Equal("", layout.Namespace);
    }

    [Fact]
    public void Passes_SplitAtTopLevelCommas()
    {
        var spec = Parse(Plans.Mlp.Replace("passes=\"\"", "passes=\"quantize(int8,per-channel,symmetric), fold\""));

        Assert.Equal(["quantize(int8,per-channel,symmetric)", "fold"], spec.Info.Passes);
    }

    [Fact]
    public void SamePlanTwice_GivesEqualSpecs_AndAChangedArgumentDoesNot()
    {
        Assert.Equal(Parse(Plans.Mlp), Parse(Plans.Mlp));
        Assert.Equal(Parse(Plans.Mlp).GetHashCode(), Parse(Plans.Mlp).GetHashCode());
        Assert.NotEqual(Parse(Plans.Mlp), Parse(Plans.Mlp.Replace("Axis=-1", "Axis=1")));
    }

    [Theory]
    [InlineData("Mlp")]
    [InlineData("MlpInt8")]
    [InlineData("Conv")]
    [InlineData("Layout")]
    [InlineData("Fixed")]
    [InlineData("Dynamic")]
    [InlineData("TwoInTwoOut")]
    public void EveryPlannedModel_Parses_WithOneOpSpecPerOpRecord(string name)
    {
        var plan = Plans.Get(name);

        Assert.Equal(plan.Split('\n').Count(l => l.StartsWith("op ", StringComparison.Ordinal)), Parse(plan).Ops.Count);
    }

    [Fact]
    public void QuotedStrings_UnescapeEveryEscapeThePlanWriterWrites()
    {
        // PlanWriter.Quote escapes " \ LF TAB and CR.
        var spec = Parse(Plans.Mlp.Replace("source \"mlp.onnx\"", "source \"a \\\"b\\\" \\\\ c\\td\\re\\nf\""));

        Assert.Equal("a \"b\" \\ c\td\re\nf", spec.SourceFile);
    }

    [Fact]
    public void OpTokens_KeepTheirPlanText_WhateverTheCulture()
    {
        using var culture = new CultureScope("de-DE");
        var spec = Parse(Plans.Fixed.Replace("Beta=0.75", "Beta=1.5E-05"));

        Assert.Equal(["X=5", "Y=6", "Function=UnaryFunction.Clip", "Alpha=-3.4028235E+38", "Beta=1.5E-05"], spec.Ops[5].Args.Select(a => a.Key + "=" + a.Value));
    }

    [Fact]
    public void UnknownOpKindsAndKeys_Parse_BecauseTheCompilerChecksThemAgainstTheRuntime()
    {
        // The parser does not know the op records; ModelGeneratorTests shows the C# errors an unknown kind or key gives.
        var spec = Parse(Plans.Mlp.Replace("op Softmax", "op TopK").Replace("Coerce2D=false", "Coerce2D=false Future=[1,2]"));

        Assert.Equal("TopK", spec.Ops[2].Kind);
        Assert.Equal("[1,2]", spec.Ops[2].Args[^1].Value);
    }

    [Fact]
    public void CrLfLineEnds_AreAccepted()
    {
        Assert.Equal(Parse(Plans.Mlp), Parse(Plans.Mlp.Replace("\n", "\r\n")));
    }

    [Fact]
    public void TensorNames_BecomeUniquePascalCaseIdentifiers()
    {
        var spec = Parse(Plans.TwoInTwoOut.Replace("input 1 name=\"meta::data\"", "input 1 name=\"image::features\""));

        Assert.Equal(["ImageFeatures", "ImageFeatures2"], spec.Inputs.Select(t => t.Identifier));
        Assert.Equal(["Logits", "Class"], spec.Outputs.Select(t => t.Identifier));
    }

    [Theory]
    [InlineData("input.1", "Input1")]
    [InlineData("onnx::Gemm_0", "OnnxGemm0")]
    [InlineData("9lives", "T9lives")]
    [InlineData("::", "Tensor")]
    [InlineData("camelCase", "CamelCase")]
    public void ToPascalCase_MakesValidIdentifiers(string onnxName, string expected)
    {
        var id = Identifiers.ToPascalCase(onnxName);

        Assert.Equal(expected, id);
        Assert.True(Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(id));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("3")]
    public void OtherVersions_AreMBG001_AtTheVersionToken(string version)
    {
        var d = Error(Plans.Mlp.Replace("mbplan 2", "mbplan " + version));

        Assert.Equal(("MBG001", 1, 8), (d.Id, d.Line, d.Column));
        Assert.Contains("plan version " + version + " is not supported", d.Message);
        Assert.Equal(Path, d.Path);
    }

    [Fact]
    public void MissingEnd_IsMBG002_AtTheLastLine()
    {
        var d = Error(Plans.Mlp.Replace("end\n", ""));

        Assert.Equal(("MBG002", 19), (d.Id, d.Line));
        Assert.Contains("'end' record is missing", d.Message);
    }

    [Theory]
    [InlineData("class MlpModel", "klass MlpModel", 2, 1)] // unknown record
    [InlineData("class MlpModel", "class int", 2, 7)] // class is a keyword
    [InlineData("source \"mlp.onnx\"", "source \"mlp.onnx", 4, 8)] // unterminated string
    [InlineData("weight 1 name", "weight 2 name", 8, 8)] // ids must count up
    [InlineData("value 1 name=\"r\" type=float32", "value 1 name=\"r\" type=float16", 12, 18)] // unknown element type
    [InlineData("value=3 type", "value=9 type", 16, 31)] // output bound to no value
    [InlineData("X=0 Y=1", "X=0  Y=1", 17, 28)] // two spaces: the second is an empty token
    [InlineData("Axis=-1", "Axis=-1;", 19, 53)] // stray character
    [InlineData("op Dense node=\"h_node\"", "op 9Dense node=\"h_node\"", 17, 4)] // kind not an identifier
    [InlineData("Bias=0", "bias=0 class=1", 17, 48)] // key is a C# keyword
    [InlineData("Act=Activation.Relu", "Act=Activation.Relu.Twice", 17, 48)] // not a literal
    [InlineData("Weight=1", "Weight=1e400", 17, 32)] // a float that is not finite
    [InlineData("end", "end\nclass Again", 21, 1)] // content after end
    [InlineData("mbplan 2\n", "", 1, 1)] // no header: the first record is not mbplan
    public void MalformedPlan_IsMBG002_WithItsLineAndColumn(string find, string replace, int line, int column)
    {
        Assert.Contains(find, Plans.Mlp);
        var d = Error(Plans.Mlp.Replace(find, replace));

        Assert.Equal(("MBG002", line, column), (d.Id, d.Line, d.Column));
    }

    [Fact]
    public void ConstantOnABlobEntryThatDoesNotExist_IsMBG002_AtTheEntry()
    {
        var d = Error(Plans.Layout.Replace("blob=2 dims=[2]", "blob=7 dims=[2]"));

        Assert.Equal(("MBG002", 17), (d.Id, d.Line));
        Assert.Contains("blob=7", d.Message);
    }

    [Fact]
    public void DiagnosticSpan_CoversTheRestOfTheLine()
    {
        var text = Plans.Mlp.Replace("op Dense node=\"h_node\"", "op 9Dense node=\"h_node\"");
        var d = Error(text);

        Assert.StartsWith("9Dense node=", text.Substring(d.Offset, d.Length));
        Assert.EndsWith("Act=Activation.Relu", text.Substring(d.Offset, d.Length));
    }

    [Fact]
    public void EmittedSource_DependsOnlyOnTheSpec()
    {
        Assert.Equal(PredictorEmitter.Emit(Parse(Plans.Conv)), PredictorEmitter.Emit(Parse(Plans.Conv.Replace("\n", "\r\n"))));
    }

    private static PredictorSpec Parse(string text)
    {
        var result = PlanParser.Parse(Path, text);
        Assert.Empty(result.Diagnostics);
        return Assert.IsType<PredictorSpec>(result.Spec);
    }

    private static DiagnosticInfo Error(string text)
    {
        var result = PlanParser.Parse(Path, text);
        Assert.Null(result.Spec);
        return Assert.Single(result.Diagnostics);
    }
}
