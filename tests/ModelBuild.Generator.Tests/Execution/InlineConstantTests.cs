using System.Globalization;
using ModelBuild.Runtime;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>
/// The planner puts float constants in the blob; a plan may also give them inline (CONTRACTS §1). The generator turns
/// those into C# float literals, which must parse back to the same bits the interpreter reads from the plan text.
/// </summary>
public sealed class InlineConstantTests
{
    [Fact]
    public void InlineFloatConstant_GivesTheSameBitsAsTheBlobEntry()
    {
        var layout = Models.TestModels.Get("Layout");
        var offsets = WeightBlob.Load(layout.Blob).Floats(2);
        var data = "[" + string.Join(",", offsets.Select(f => f.ToString("R", CultureInfo.InvariantCulture))) + "]";
        const string blobValue = "value 7 name=\"offset\" type=float32 blob=2 dims=[2]";
        Assert.Contains(blobValue, layout.Plan);
        var inline = layout with { Plan = layout.Plan.Replace(blobValue, "value 7 name=\"offset\" type=float32 dims=[2] data=" + data, StringComparison.Ordinal) };
        var model = CompiledModel.Compile(inline);
        var input = Tensor.Random([3, 2, 3], seed: 11);

        var result = model.Call<object[]>("Shaped", input.Data, input.Shape);

        Assert.Contains("ValueDecl.Inline(\"offset\", (float[])[", model.GeneratedSource);
        Expect.BitIdentical(References.Interpreter(layout, input)[0], (float[])result[0], (int[])result[1]);
        Expect.BitIdentical(References.Interpreter(inline, input)[0], (float[])result[0], (int[])result[1]);
    }
}
