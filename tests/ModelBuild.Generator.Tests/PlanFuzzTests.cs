using ModelBuild.Generator.Emission;
using ModelBuild.Generator.Parsing;

namespace ModelBuild.Generator.Tests;

/// <summary>
/// Damaged plans must give a diagnostic, never an exception: an exception inside a generator only shows up as
/// warning CS8785 and a confusing "type not found" later.
/// </summary>
public sealed class PlanFuzzTests
{
    [Theory]
    [InlineData("Mlp")]
    [InlineData("Conv")]
    [InlineData("Layout")]
    [InlineData("Fixed")]
    [InlineData("Dynamic")]
    [InlineData("TwoInTwoOut")]
    public void MutatedPlans_ParseOrReportOneDiagnostic_AndNeverThrow(string name)
    {
        var plan = Plans.Get(name);
        var random = new Random(name.Length * 7919);
        const string alphabet = "0123456789-=,\" \n.aNz\\[]";
        var parsed = 0;
        for (var i = 0; i < 1000; i++)
        {
            var text = plan.ToCharArray().ToList();
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(text.Count);
                switch (random.Next(3))
                {
                    case 0: text.RemoveAt(at); break;
                    case 1: text.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                    default: text[at] = alphabet[random.Next(alphabet.Length)]; break;
                }
            }

            var mutated = new string([.. text]);
            var result = PlanParser.Parse("/obj/x.mbplan", mutated);
            if (result.Spec is null)
            {
                var d = Assert.Single(result.Diagnostics);
                Assert.InRange(d.Line, 1, mutated.Split('\n').Length);
                Assert.True(d.Offset >= 0 && d.Offset + d.Length <= mutated.Length, $"span {d.Offset}+{d.Length} outside the text");
            }
            else
            {
                parsed++;
                Assert.NotEmpty(PredictorEmitter.Emit(result.Spec));
            }
        }

        // Both outcomes occur, so the loop exercised the parser's accepting and rejecting paths.
        Assert.InRange(parsed, 1, 999);
    }
}
