using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>The cosine windows against their textbook formulas, and NonMaxSuppression against hand-worked selections.</summary>
public sealed class WindowNmsTests
{
    [Theory]
    [InlineData(10, true)]
    [InlineData(10, false)]
    [InlineData(7, true)]
    [InlineData(1, false)]
    [InlineData(0, true)]
    public void Windows_MatchTheirFormulas(int size, bool periodic)
    {
        double n1 = periodic ? size : size - 1;
        double Hann(int n) => n1 == 0 ? 1 : 0.5 * (1 - Math.Cos(2 * Math.PI * n / n1));
        double Hamming(int n) => n1 == 0 ? 1 : 0.54347826086956522 - (0.45652173913043478 * Math.Cos(2 * Math.PI * n / n1));
        double Blackman(int n) => n1 == 0 ? 1 : 0.42 - (0.5 * Math.Cos(2 * Math.PI * n / n1)) + (0.08 * Math.Cos(4 * Math.PI * n / n1));

        Check(0.5f, 0.5f, 0f, Hann);
        Check(25f / 46f, 21f / 46f, 0f, Hamming);
        Check(0.42f, 0.5f, 0.08f, Blackman);

        void Check(float a0, float a1, float a2, Func<int, double> reference)
        {
            var h = new OpHarness();
            var s = h.Longs([size]);
            var y = h.Output(TensorType.Float32);
            var c = h.Run(new CosineWindowOp(s, y, a0, a1, a2, periodic));
            Assert.Equal([size], c.Shape(y).ToArray());
            TestData.AssertClose(Enumerable.Range(0, size).Select(reference).ToArray(), c.Floats(y), 0, 1e-6);
        }
    }

    [Fact]
    public void Window_RejectsANegativeSize()
    {
        var h = new OpHarness();
        var s = h.Longs([-1]);
        var y = h.Output(TensorType.Float32);
        Assert.Throws<ArgumentException>(() => h.Run(new CosineWindowOp(s, y, 0.5f, 0.5f, 0f, true)));
    }

    // Six boxes in two clusters (ONNX's suppress_by_IOU example): [y1, x1, y2, x2].
    private static readonly float[] s_boxes =
    [
        0, 0, 1, 1,
        0, 0.1f, 1, 1.1f,
        0, -0.1f, 1, 0.9f,
        0, 10, 1, 11,
        0, 10.1f, 1, 11.1f,
        0, 100, 1, 101,
    ];

    private static readonly float[] s_scores = [0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f];

    [Fact]
    public void Nms_SuppressesOverlapsInScoreOrder()
    {
        // Overlaps of 0.82 suppress boxes 1, 2 and 4; the order is by score: 3, 0, 5.
        Assert.Equal([0, 0, 3, 0, 0, 0, 0, 0, 5], Nms(s_boxes, s_scores, 1, 1, max: 3, iou: 0.5f, score: null, center: false));
        // Limited to two per class.
        Assert.Equal([0, 0, 3, 0, 0, 0], Nms(s_boxes, s_scores, 1, 1, max: 2, iou: 0.5f, score: null, center: false));
        // A score threshold drops box 5 (0.3 ≤ 0.4); ties with the threshold are dropped too.
        Assert.Equal([0, 0, 3, 0, 0, 0], Nms(s_boxes, s_scores, 1, 1, max: 3, iou: 0.5f, score: 0.3f + 0.1f, center: false));
        Assert.Equal([0, 0, 3, 0, 0, 0], Nms(s_boxes, s_scores, 1, 1, max: 3, iou: 0.5f, score: 0.3f, center: false));
        // No max_output_boxes_per_class: nothing is selected.
        Assert.Empty(Nms(s_boxes, s_scores, 1, 1, max: null, iou: 0.5f, score: null, center: false));
    }

    [Fact]
    public void Nms_FlippedCornersAndCenterFormatGiveTheSameSelection()
    {
        var flipped = new float[s_boxes.Length];
        var center = new float[s_boxes.Length];
        for (var b = 0; b < 6; b++)
        {
            float y1 = s_boxes[b * 4], x1 = s_boxes[(b * 4) + 1], y2 = s_boxes[(b * 4) + 2], x2 = s_boxes[(b * 4) + 3];
            (flipped[b * 4], flipped[(b * 4) + 1], flipped[(b * 4) + 2], flipped[(b * 4) + 3]) = (y2, x2, y1, x1);
            (center[b * 4], center[(b * 4) + 1], center[(b * 4) + 2], center[(b * 4) + 3]) = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1);
        }

        long[] expected = [0, 0, 3, 0, 0, 0, 0, 0, 5];
        Assert.Equal(expected, Nms(flipped, s_scores, 1, 1, 3, 0.5f, null, center: false));
        Assert.Equal(expected, Nms(center, s_scores, 1, 1, 3, 0.5f, null, center: true));
    }

    [Fact]
    public void Nms_BatchesAndClassesAreIndependent_TiesKeepTheLowerIndex()
    {
        // Two batches × two classes over the same boxes; class 1 has equal scores for identical boxes 0 and 1.
        float[] boxes = [0, 0, 1, 1, 0, 0, 1, 1, 5, 5, 6, 6];
        float[] batchBoxes = [.. boxes, .. boxes];
        float[] scores = [0.1f, 0.2f, 0.3f, 0.5f, 0.5f, 0.1f, 0.1f, 0.2f, 0.3f, 0.5f, 0.5f, 0.1f];
        var y = Nms(batchBoxes, scores, 2, 2, max: 5, iou: 0.5f, score: null, center: false);
        Assert.Equal(
        [
            0, 0, 2, 0, 0, 1,
            0, 1, 0, 0, 1, 2,
            1, 0, 2, 1, 0, 1,
            1, 1, 0, 1, 1, 2,
        ], y);
    }

    private static long[] Nms(float[] boxes, float[] scores, int batches, int classes, long? max, float iou, float? score, bool center)
    {
        var count = boxes.Length / 4 / batches;
        var h = new OpHarness();
        var b = h.Floats(boxes, batches, count, 4);
        var s = h.ConstFloats(scores, batches, classes, count);
        var m = max is { } mx ? h.ConstLongs([mx]) : -1;
        var i = h.ConstFloats([iou]);
        var t = score is { } st ? h.ConstFloats([st]) : -1;
        var y = h.Output(TensorType.Int64);
        var c = h.Run(new NonMaxSuppressionOp(b, s, m, i, t, y, center));
        Assert.Equal(3, c.Shape(y)[1]);
        return c.Longs(y).ToArray();
    }
}
