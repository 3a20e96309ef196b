using ModelBuild.Compression.Passes;
using ModelBuild.Graph;

namespace ModelBuild.Compression.Tests.Methods.Calibration;

/// <summary>
/// <see cref="LayerInputs"/> keeps either the recorded rows or H = XᵀX / n; whichever it keeps, H and the output
/// energy v·H·vᵀ must be what the rows give (HessianBuilder's bits for H; float64 maths within rounding for the energy).
/// </summary>
public sealed class LayerInputsTests
{
    [Theory]
    [InlineData(4, 16)] // n ≤ 2·cols: rows kept
    [InlineData(32, 16)] // boundary: n = 2·cols, rows kept
    [InlineData(33, 16)] // n > 2·cols: H kept
    [InlineData(200, 7)]
    public void Hessian_and_output_energy_match_float64_maths_in_either_form(int n, int cols)
    {
        var x = Rows(n, cols, seed: n * 31 + cols);
        var layer = new LayerWeight("w", new Node("MatMul", ["x", "w"], ["y"], "mm"), Rows: 3, Cols: cols, MatrixLayout.ColumnsFirst);

        var inputs = LayerInputs.FromRecorded(layer, x, [n, cols]);

        Assert.Equal(n <= 2 * cols, inputs.HasRows);
        Assert.Equal(HessianBuilder.FromRows(x, cols), inputs.Hessian());
        var random = new Random(n);
        for (var trial = 0; trial < 5; trial++)
        {
            var v = Enumerable.Range(0, cols).Select(_ => trial == 0 && random.Next(3) == 0 ? 0 : random.NextDouble() * 2 - 1).ToArray();
            var expected = Energy(x, n, cols, v);
            Assert.Equal(expected, inputs.OutputEnergy(v), expected * 1e-12 + 1e-300);
        }
    }

    [Fact]
    public void Conv_inputs_are_always_kept_as_H()
    {
        var conv = new Node("Conv", ["x", "w"], ["y"], "conv") { Attributes = { NodeAttribute.Of("kernel_shape", new long[] { 1, 1 }) } };
        var layer = new LayerWeight("w", conv, Rows: 2, Cols: 2, MatrixLayout.RowsFirst); // 2 channels, 1×1 kernel
        var x = Rows(1, 2 * 3 * 3, seed: 5); // one image [1, 2, 3, 3]

        var inputs = LayerInputs.FromRecorded(layer, x, [1, 2, 3, 3]);

        Assert.False(inputs.HasRows);
        Assert.Equal(HessianBuilder.FromConv(x, [1, 2, 3, 3], conv, 2), inputs.Hessian());
    }

    // Σᵢ (xᵢ·v)² / n with every product in float64: the definition, not the kernel.
    private static double Energy(float[] x, int n, int cols, double[] v)
    {
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            double dot = 0;
            for (var c = 0; c < cols; c++)
            {
                dot += x[(i * cols) + c] * v[c];
            }

            sum += dot * dot;
        }

        return sum / n;
    }

    private static float[] Rows(int n, int cols, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n * cols).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }
}
