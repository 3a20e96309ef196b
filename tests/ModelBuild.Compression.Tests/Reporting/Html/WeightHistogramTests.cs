using ModelBuild.Compression.Reporting;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Tests.Reporting.Html;

public sealed class WeightHistogramTests
{
    [Fact]
    public void Binning_matches_a_hand_computed_reference()
    {
        // Range [-1, 1] over 4 bins of 0.5: [-1,-0.5) [-0.5,0) [0,0.5) [0.5,1]; the top edge belongs to the last bin.
        float[] original = [-1f, -0.5f, 0f, 0.25f, 1f, float.NaN];
        float[] compressed = [0f, 0f, 0f, 0.5f, 1f];
        var h = WeightHistogram.FromValues("w", original, compressed, 4);
        Assert.Equal((-1.0, 1.0, 0.5), (h.Min, h.Max, h.BinWidth));
        Assert.Equal([1, 1, 2, 1], h.Before);
        Assert.Equal([0, 0, 3, 2], h.After);
    }

    [Fact]
    public void Range_covers_both_lists_and_a_constant_list_fills_one_bin()
    {
        var h = WeightHistogram.FromValues("w", [0.1f, 0.2f], [-0.3f, 0.9f], 6);
        Assert.Equal((-0.3, 0.9), (Math.Round(h.Min, 6), Math.Round(h.Max, 6)));
        Assert.Equal(2, h.Before.Sum());
        Assert.Equal([1, 0, 0, 0, 0, 1], h.After);

        var flat = WeightHistogram.FromValues("w", [2f, 2f, 2f], [2f], 5);
        Assert.Equal([3, 0, 0, 0, 0], flat.Before);
        Assert.Equal([1, 0, 0, 0, 0], flat.After);
    }

    [Fact]
    public void Largest_weight_is_binned_against_its_decoded_storage_and_sparsity_is_measured()
    {
        float[] big = [-0.8f, -0.1f, 0.07f, 0.3f, 0.6f, 0.9f];
        var mask = big.Select(v => Math.Abs(v) >= 0.3f).ToArray(); // -0.1 and 0.07 pruned
        var stored = new Dictionary<string, StoredMatrix> { ["big"] = new SparseMatrix(2, 3, mask, new DenseFloat(2, 3, big)) };
        var originals = new Dictionary<string, float[]> { ["small"] = [1f, 2f], ["big"] = big };
        var h = WeightHistogram.ForLargest(originals, stored, 10)!;
        Assert.Equal("big", h.Layer);
        Assert.Equal(big.Length, h.After.Sum());

        // Reference: count by the documented rule, floor((v - min) / (max - min) * bins), clamped to the last bin.
        var decoded = big.Select((v, i) => mask[i] ? v : 0f).ToArray();
        var expected = new int[10];
        foreach (var v in decoded)
        {
            expected[Math.Min(9, (int)Math.Floor((v - h.Min) / (h.Max - h.Min) * 10))]++;
        }

        Assert.Equal(expected, h.After);
        var zeroBin = (int)Math.Floor(0.8 / 1.7 * 10); // 4.7: well inside bin 4
        Assert.Equal((1, 2), (h.Before[zeroBin], h.After[zeroBin])); // -0.1 before; the two pruned zeros after

        var report = new CompressionReport("m.onnx", "prune", [new WeightReportRow("big", [2, 3], "sparse", 24, 12, 0.1, 10), WeightReportRow.ForFloat("small", [2])])
            .WithWeightDetails(originals, stored, new Dictionary<string, string> { ["big"] = "Gemm" });
        Assert.Equal(2 / 6.0, report.Weights[0].Sparsity);
        Assert.Equal("Gemm", report.Weights[0].Op);
        Assert.Equal(0, report.Weights[1].Sparsity);
        Assert.Equal("big", report.Histogram!.Layer);
        Assert.Equal(16.0, report.Weights[0].BitsPerWeight);
    }
}
