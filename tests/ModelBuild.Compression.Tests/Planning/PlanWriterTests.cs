using System.Globalization;
using ModelBuild.Compression.Planning;

namespace ModelBuild.Compression.Tests.Planning;

public sealed class PlanWriterTests
{
    [Fact]
    public void Writes_records_in_contract_order_with_invariant_numbers_and_escaped_strings()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var plan = new ModelPlan
            {
                ClassName = "M",
                Namespace = "",
                SourceFile = "a \"b\".onnx",
                ResourceName = "R",
                BatchSymbol = "batch",
                PerSampleFloats = 20,
                ScratchFloats = 0,
            };
            plan.Buffers.Add(new PlanBuffer(0, 0, 10));
            plan.Buffers.Add(new PlanBuffer(1, 10, 10));
            plan.Inputs.Add(new PlanTensor(0, "x", 0, "N,10", "doc\nline"));
            plan.Outputs.Add(new PlanTensor(0, "y", 1, "N,10", ""));
            plan.Ops.Add(new PlanOp("Unary", "n", [KeyValuePair.Create("alpha", PlanWriter.Num(0.1f))]));

            var lines = PlanWriter.Write(plan).Split('\n');

            Assert.Equal("mbplan 1", lines[0]);
            Assert.Equal("namespace", lines[2]);
            Assert.Equal("source \"a \\\"b\\\".onnx\"", lines[3]);
            Assert.Equal("batch dynamic \"batch\"", lines[6]);
            Assert.Contains("input 0 name=\"x\" buffer=0 shape=N,10 doc=\"doc\\nline\"", lines);
            Assert.Contains("op Unary node=\"n\" alpha=0.1", lines);
            Assert.Equal(["end", ""], lines[^2..]);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Infinities_use_the_contract_spelling() =>
        Assert.Equal(["inf", "-inf", "1E-07"], [PlanWriter.Num(float.PositiveInfinity), PlanWriter.Num(float.NegativeInfinity), PlanWriter.Num(1e-7f)]);
}
