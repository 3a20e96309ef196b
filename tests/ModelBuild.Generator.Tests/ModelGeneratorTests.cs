using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Tests;

public sealed class ModelGeneratorTests
{
    [Fact]
    public void PlanFile_ProducesClassNameHint_AndOtherFilesAreIgnored()
    {
        var driver = GeneratorHost.NewDriver(
            new InMemoryAdditionalText("/obj/MlpModel.mbplan", Plans.Mlp),
            new InMemoryAdditionalText("/obj/notes.txt", "not a plan"));

        var result = driver.RunGenerators(GeneratorHost.NewCompilation("A")).GetRunResult();

        Assert.Empty(result.Diagnostics);
        var source = Assert.Single(Assert.Single(result.Results).GeneratedSources);
        Assert.Equal("MlpModel.g.cs", source.HintName);
        Assert.Contains("public sealed partial class MlpModel", source.SourceText.ToString());
    }

    [Fact]
    public void MalformedPlan_ReportsMBG002_AtThePlanFileAndLine_AndGeneratesNothing()
    {
        var driver = GeneratorHost.NewDriver(new InMemoryAdditionalText("/obj/MlpModel.mbplan", Plans.Mlp.Replace("end\n", "")));

        var result = driver.RunGenerators(GeneratorHost.NewCompilation("A")).GetRunResult();

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MBG002", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal("/obj/MlpModel.mbplan", span.Path);
        Assert.Equal(18, span.StartLinePosition.Line); // 0-based: line 19, the last
        Assert.Contains("'end' record is missing", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(Assert.Single(result.Results).GeneratedSources);
    }

    [Fact]
    public void OtherPlanVersions_ReportMBG001_AtTheVersion_AndGenerateNothing()
    {
        var driver = GeneratorHost.NewDriver(
            new InMemoryAdditionalText("/obj/A.mbplan", Plans.Mlp.Replace("mbplan 2", "mbplan 1")),
            new InMemoryAdditionalText("/obj/B.mbplan", Plans.Conv.Replace("mbplan 2", "mbplan 3")));

        var result = driver.RunGenerators(GeneratorHost.NewCompilation("A")).GetRunResult();

        Assert.Equal(["MBG001 /obj/A.mbplan:0:7", "MBG001 /obj/B.mbplan:0:7"], result.Diagnostics
            .Select(d => d.Id + " " + d.Location.GetLineSpan().Path + ":" + d.Location.GetLineSpan().StartLinePosition.Line + ":" + d.Location.GetLineSpan().StartLinePosition.Character)
            .Order(StringComparer.Ordinal));
        Assert.Empty(result.GeneratedTrees);
    }

    /// <summary>
    /// The parser does not know the op records (MBG003 is no longer reported): the emitted named-argument constructor
    /// calls make the C# compiler check kinds, keys and value types against the referenced ModelBuild.Runtime.
    /// </summary>
    [Theory]
    [InlineData("op Softmax", "op Frobnicate", "CS0234", "FrobnicateOp")] // unknown kind: no such type in ModelBuild.Runtime.Ops
    [InlineData("Coerce2D=false", "Coerce2D=false K=3", "CS1739", "'K'")] // unknown key: no such parameter
    [InlineData(" Coerce2D=false", "", "CS7036", "Coerce2D")] // missing key: required parameter not given
    [InlineData("Axis=-1", "Axis=1.5", "CS1503", "")] // wrong type: float for an int parameter
    [InlineData("Axis=-1", "Axis=4294967296", "CS1503", "")] // wrong type: a long for an int parameter
    [InlineData("Axis=-1", "Axis=true", "CS1503", "")] // wrong type: a bool for an int parameter
    [InlineData("Axis=-1", "Axis=\"x\"", "CS1503", "")] // wrong type: a string for an int parameter
    [InlineData("Axis=-1", "Axis=[1,2]", "CS1503", "")] // wrong type: a list for an int parameter
    [InlineData("Axis=-1", "Axis=Activation.Relu", "CS1503", "")] // wrong type: an enum for an int parameter
    [InlineData("Act=Activation.Relu", "Act=Activation.Gelu2", "CS0117", "Gelu2")] // unknown enum member
    public void PlanOpsTheRuntimeDoesNotHave_FailTheUsersBuild_WithACompilerError(string find, string replace, string id, string mentions)
    {
        Assert.Contains(find, Plans.Mlp);
        var (output, generatorDiagnostics) = GeneratorHost.Generate("MlpModel", Plans.Mlp.Replace(find, replace));

        Assert.Empty(generatorDiagnostics);
        var error = Assert.Single(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(id, error.Id);
        Assert.Contains(mentions, error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("MlpModel.g.cs", error.Location.SourceTree!.FilePath);
    }

    [Theory]
    [InlineData("output 1 name=\"class\"", "output 1 name=\"logits_shape\"")] // LogitsShape: a tensor and the shape of Logits
    [InlineData("input 0 name=\"image.features\"", "input 0 name=\"meta::data_shape\"")] // MetaDataShape
    [InlineData("input 0 name=\"image.features\"", "input 0 name=\"shape_of::meta::data\"")] // ShapeOfMetaData
    public void TensorNamesThatLookLikeDerivedMembers_StillCompile(string find, string replace)
    {
        Assert.Contains(find, Plans.TwoInTwoOut);
        var (output, generatorDiagnostics) = GeneratorHost.Generate("PairModel", Plans.TwoInTwoOut.Replace(find, replace));

        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void UnchangedPlan_IsCached_WhenTheCompilationChanges()
    {
        var compilation = GeneratorHost.NewCompilation("A");
        var driver = GeneratorHost.NewDriver(new InMemoryAdditionalText("/obj/MlpModel.mbplan", Plans.Mlp)).RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("class Edited { }")));

        var run = Assert.Single(driver.GetRunResult().Results);
        Assert.All(Reasons(run, ModelGenerator.ParseStep), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(Reasons(run, ModelGenerator.SpecStep), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void RewrittenPlanWithTheSameText_IsUnchanged_AndAnEditIsModified()
    {
        var compilation = GeneratorHost.NewCompilation("A");
        var original = new InMemoryAdditionalText("/obj/MlpModel.mbplan", Plans.Mlp);
        var driver = GeneratorHost.NewDriver(original).RunGenerators(compilation);

        var copy = new InMemoryAdditionalText("/obj/MlpModel.mbplan", Plans.Mlp);
        driver = driver.ReplaceAdditionalText(original, copy).RunGenerators(compilation);
        var run = Assert.Single(driver.GetRunResult().Results);
        Assert.Equal([IncrementalStepRunReason.Unchanged], Reasons(run, ModelGenerator.ParseStep));
        Assert.Equal([IncrementalStepRunReason.Cached], Reasons(run, ModelGenerator.SpecStep).Distinct());

        driver = driver.ReplaceAdditionalText(copy, new InMemoryAdditionalText("/obj/MlpModel.mbplan", Plans.Mlp.Replace("Axis=-1", "Axis=1"))).RunGenerators(compilation);
        run = Assert.Single(driver.GetRunResult().Results);
        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(run, ModelGenerator.ParseStep));
        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(run, ModelGenerator.SpecStep));
    }

    [Fact]
    public void SpecTypes_HoldNoRoslynObjectsOrReferenceEqualCollections()
    {
        var forbidden = new[] { typeof(ISymbol), typeof(Compilation), typeof(SyntaxNode), typeof(Location), typeof(AdditionalText), typeof(Diagnostic) };
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>([typeof(PlanResult)]);
        while (pending.TryPop(out var type))
        {
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string))
            {
                continue;
            }

            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public))
            {
                var t = field.FieldType;
                Assert.DoesNotContain(forbidden, f => f.IsAssignableFrom(t));
                Assert.False(t.IsArray || (typeof(IEnumerable).IsAssignableFrom(t) && t != typeof(string) && !IsEquatableArray(t) && !IsImmutableInsideEquatableArray(type, t)),
                    type.Name + "." + field.Name + " is a collection without value equality");
                if (!IsImmutableInsideEquatableArray(type, t))
                {
                    pending.Push(Nullable.GetUnderlyingType(t) ?? t);
                }

                foreach (var arg in t.GetGenericArguments())
                {
                    pending.Push(arg);
                }
            }
        }

        Assert.Contains(typeof(OpSpec), seen);
    }

    private static bool IsEquatableArray(Type t) => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(EquatableArray<>);

    // The wrapper itself holds an ImmutableArray; that is the one place allowed to.
    private static bool IsImmutableInsideEquatableArray(Type owner, Type t) =>
        IsEquatableArray(owner) && t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ImmutableArray<>);

    private static IncrementalStepRunReason[] Reasons(GeneratorRunResult run, string step) =>
        [.. run.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason)];
}
