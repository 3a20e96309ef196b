using ModelBuild.Generator.Emission;
using ModelBuild.Generator.Model;
using ModelBuild.Generator.Parsing;

namespace ModelBuild.Generator.Tests;

public sealed class PlanParserTests
{
    private const string Path = "/obj/MlpModel.mbplan";

    [Fact]
    public void GoodPlan_ParsesEveryRecord()
    {
        var spec = Parse(Plans.Mlp);

        Assert.Equal("MlpModel", spec.ClassName);
        Assert.Equal("Tests.Models", spec.Namespace);
        Assert.Equal("mlp.onnx", spec.SourceFile);
        Assert.Equal("Tests.Models.MlpModel.weights.mbw", spec.Resource);
        Assert.Equal(new InfoSpec(1000, 400, EquatableArray.From(["quantize(int8,per-channel,symmetric)", "fold"])), spec.Info);
        Assert.Equal(new BatchSpec(true, "batch_size", 0), spec.Batch);
        Assert.Equal((18, 0), (spec.ArenaPerSample, spec.ArenaScratch));
        Assert.Equal(new BufferSpec(2, 12, 3), spec.Buffers[2]);
        Assert.Equal("fc1.weight", spec.Weights[0].Name);
        Assert.Equal([8, 4], spec.Weights[0].Dims);
        Assert.Equal("Four features.", spec.Inputs[0].Doc);
        Assert.Equal(4, spec.Inputs[0].ElementsPerSample);
        Assert.Equal("Probabilities", spec.Outputs[0].Identifier);
        Assert.Equal(["Dense", "Dense", "Softmax"], spec.Ops.Select(o => o.Kind));
        Assert.Equal("/fc1/Gemm", spec.Ops[0].Node);
        Assert.Equal("relu", spec.Ops[0]["act"]);
        Assert.Equal(8, spec.Ops[0].Int("n"));
    }

    [Fact]
    public void SamePlanTwice_GivesEqualSpecs_AndAChangedNumberDoesNot()
    {
        Assert.Equal(Parse(Plans.Mlp), Parse(Plans.Mlp));
        Assert.Equal(Parse(Plans.Mlp).GetHashCode(), Parse(Plans.Mlp).GetHashCode());
        Assert.NotEqual(Parse(Plans.Mlp), Parse(Plans.Mlp.Replace("k=8 n=3", "k=8 n=2")));
    }

    [Fact]
    public void UnknownKeys_AreIgnored_AndOptionalKeysDefault()
    {
        var spec = Parse(Plans.Mlp.Replace("act=relu", "act=relu future=42 note=\"x y\"").Replace(" bias=3 ", " "));

        Assert.Equal("relu", spec.Ops[0]["act"]);
        Assert.Equal("-1", spec.Ops[1]["bias"]);
    }

    [Fact]
    public void EveryPlanInTheSuite_Parses()
    {
        foreach (var plan in new[] { Plans.Mlp, Plans.Conv, Plans.Layout, Plans.Fixed, Plans.TwoInTwoOut })
        {
            Parse(plan);
        }
    }

    [Fact]
    public void QuotedStrings_UnescapeAndFloatsNormalise()
    {
        var spec = Parse(Plans.Fixed.Replace("source \"fixed.onnx\"", "source \"a \\\"b\\\" \\\\ c\\td\""));

        Assert.Equal("a \"b\" \\ c\td", spec.SourceFile);
        Assert.Equal("-inf", spec.Ops[4]["alpha"]);
        Assert.Equal("0.75", spec.Ops[4]["beta"]);
        Assert.Equal(new BatchSpec(false, "", 2), spec.Batch);
        Assert.Equal([2, 3, 3], spec.Inputs[0].Dims);
    }

    [Fact]
    public void FloatParsing_IgnoresTheCurrentCulture()
    {
        using var culture = new CultureScope("de-DE");
        var spec = Parse(Plans.Fixed.Replace("beta=0.75", "beta=1.5E-05"));

        Assert.Equal("1.5E-05", spec.Ops[4]["beta"]);
    }

    [Fact]
    public void RankZeroBinary_HasEmptyShapeLists()
    {
        var plan = Plans.Layout.Replace("rank=2 shapeA=3,2 shapeB=3,2 shapeOut=3,2", "rank=0 shapeA= shapeB= shapeOut=");
        var spec = Parse(plan);

        Assert.Empty(spec.Ops[3].Ints("shapeA"));
        Assert.Contains("ShapeOut3 => [];", PredictorEmitter.Emit(spec));
    }

    [Fact]
    public void ZeroStride_IsMBG002()
    {
        Assert.Equal("MBG002", Error(Plans.Conv.Replace("sh=2", "sh=0")).Id);
    }

    [Fact]
    public void CrLfLineEnds_AreAccepted()
    {
        Assert.Equal(Parse(Plans.Mlp), Parse(Plans.Mlp.Replace("\n", "\r\n")));
    }

    [Fact]
    public void EmptyNamespaceRecord_MeansTheGlobalNamespace()
    {
        Assert.Equal("", Parse(Plans.Layout).Namespace);
    }

    [Fact]
    public void TensorNames_BecomeUniquePascalCaseIdentifiers()
    {
        var spec = Parse(Plans.TwoInTwoOut.Replace("\"meta::data\"", "\"image::features\""));

        Assert.Equal(["ImageFeatures", "ImageFeatures2"], spec.Inputs.Select(t => t.Identifier));
        Assert.Equal(["Logits", "Class"], spec.Outputs.Select(t => t.Identifier));
    }

    [Theory]
    [InlineData("1.5", "Input1")]
    [InlineData("onnx::Gemm_0", "OnnxGemm0")]
    [InlineData("9lives", "T9lives")]
    [InlineData("::", "Tensor")]
    [InlineData("camelCase", "CamelCase")]
    public void ToPascalCase_MakesValidIdentifiers(string onnxName, string expected)
    {
        var id = Identifiers.ToPascalCase(onnxName == "1.5" ? "input.1" : onnxName);

        Assert.Equal(expected, id);
        Assert.True(Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(id));
    }

    [Fact]
    public void UnsupportedVersion_IsMBG001_AtTheVersionToken()
    {
        var d = Error(Plans.Mlp.Replace("mbplan 1", "mbplan 2"));

        Assert.Equal(("MBG001", 1, 8), (d.Id, d.Line, d.Column));
        Assert.Contains("version 2", d.Message);
        Assert.Equal(Path, d.Path);
    }

    [Fact]
    public void MissingEnd_IsMBG002_AtTheLastLine()
    {
        var d = Error(Plans.Mlp.Replace("end\n", ""));

        Assert.Equal(("MBG002", 22), (d.Id, d.Line));
        Assert.Contains("'end'", d.Message);
    }

    [Theory]
    [InlineData("buffer 2 offset=12 size=3", "buffer 2 offset=12  size=3", 12, 20)] // two spaces: the second is an empty token
    [InlineData("buffer 2 offset=12 size=3", "buffer 2 offset=12 size=3;", 12, 26)] // stray character
    [InlineData("source \"mlp.onnx\"", "source \"mlp.onnx", 5, 8)] // unterminated string
    [InlineData("class MlpModel", "klass MlpModel", 3, 1)] // unknown record
    [InlineData("buffer 2 offset=12 size=3", "buffer 2 offset=twelve size=3", 12, 10)] // not a number
    [InlineData("in=1 out=2 weight=2", "in=1 out=4 weight=2", 21, 32)] // buffer id out of range
    [InlineData("weight=2 bias=3", "weight=2 bias=4", 21, 47)] // weight id out of range
    [InlineData("buffer=3 shape=N,3", "buffer=3 shape=N,4", 19, 40)] // shape does not fit the buffer
    [InlineData("buffer 3 offset=15 size=3", "buffer 3 offset=16 size=3", 13, 20)] // past the arena
    [InlineData("act=none", "act=gelu", 21, 69)] // bad activation
    [InlineData("weight 1 name", "weight 2 name", 15, 8)] // ids must count up
    [InlineData("end", "end\nclass Again", 24, 1)] // content after end
    [InlineData("class MlpModel", "class int", 3, 7)] // class is a keyword
    [InlineData("mbplan 1\n", "", 2, 1)] // no header: the first record is not mbplan
    public void MalformedPlan_IsMBG002_WithItsLineAndColumn(string find, string replace, int line, int column)
    {
        Assert.Contains(find, Plans.Mlp);
        var d = Error(Plans.Mlp.Replace(find, replace));

        Assert.Equal(("MBG002", line, column), (d.Id, d.Line, d.Column));
    }

    [Fact]
    public void MissingKey_IsMBG002_NamingTheKey()
    {
        var d = Error(Plans.Mlp.Replace(" k=4", ""));

        Assert.Equal(("MBG002", 20), (d.Id, d.Line));
        Assert.Contains("k=", d.Message);
    }

    [Fact]
    public void UnknownOpKind_IsMBG003_AtTheKind()
    {
        var d = Error(Plans.Mlp.Replace("op Softmax", "op LogSoftmax"));

        Assert.Equal(("MBG003", 22, 4), (d.Id, d.Line, d.Column));
        Assert.Contains("LogSoftmax", d.Message);
    }

    [Fact]
    public void DiagnosticSpan_CoversTheRestOfTheLine()
    {
        var text = Plans.Mlp.Replace("op Softmax", "op LogSoftmax");
        var d = Error(text);

        Assert.StartsWith("LogSoftmax node=", text.Substring(d.Offset, d.Length));
        Assert.EndsWith("inner=1", text.Substring(d.Offset, d.Length));
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
