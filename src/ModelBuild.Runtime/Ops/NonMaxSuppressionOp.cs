using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// ONNX NonMaxSuppression (opset 11): for each batch and class, greedily selects boxes in descending score order
/// (ties: lower box index first), skipping a box whose IoU with an already selected box of that batch and class is
/// greater than <c>iou_threshold</c>, considering only scores greater than <c>score_threshold</c>, up to
/// <c>max_output_boxes_per_class</c> per class. Output int64 <c>[num_selected, 3]</c> rows
/// <c>(batch, class, box)</c>, by batch, then class, then selection order; its size depends on the data, so it is
/// computed per call. Boxes are <c>[y1, x1, y2, x2]</c> corners in any order (center_point_box = 0) or
/// <c>[x_center, y_center, width, height]</c> (center_point_box = 1); a box of zero area suppresses nothing.
/// </summary>
/// <param name="Boxes">Float32 <c>[batches, boxes, 4]</c>.</param>
/// <param name="Scores">Float32 <c>[batches, classes, boxes]</c>.</param>
/// <param name="MaxOutput">Int64 scalar, or -1 (absent: 0, nothing selected).</param>
/// <param name="IouThreshold">Float32 scalar, or -1 (absent: 0).</param>
/// <param name="ScoreThreshold">Float32 scalar, or -1 (absent: no score filter).</param>
/// <param name="Y">Output, int64 <c>[num_selected, 3]</c>.</param>
/// <param name="CenterPointBox">Whether boxes are center/size rather than corners.</param>
public sealed record NonMaxSuppressionOp(int Boxes, int Scores, int MaxOutput, int IouThreshold, int ScoreThreshold, int Y, bool CenterPointBox) : Op
{
    /// <inheritdoc/>
    public override void Execute(OpContext c)
    {
        var bs = c.Shape(Boxes);
        var ss = c.Shape(Scores);
        if (bs.Length != 3 || bs[2] != 4 || ss.Length != 3 || ss[0] != bs[0] || ss[2] != bs[1])
        {
            throw Fail($"boxes {ShapeMath.Format(bs)} must be [batches, boxes, 4] and scores {ShapeMath.Format(ss)} [batches, classes, boxes].");
        }

        int batches = bs[0], boxCount = bs[1], classes = ss[1];
        var maxOutput = MaxOutput >= 0 && c.Count(MaxOutput) > 0 ? Math.Clamp(c.Longs(MaxOutput)[0], 0, boxCount) : 0;
        var iou = IouThreshold >= 0 && c.Count(IouThreshold) > 0 ? c.Floats(IouThreshold)[0] : 0f;
        var hasScoreThreshold = ScoreThreshold >= 0 && c.Count(ScoreThreshold) > 0;
        var scoreThreshold = hasScoreThreshold ? c.Floats(ScoreThreshold)[0] : 0f;
        if (iou is < 0 or > 1)
        {
            throw Fail($"iou_threshold {iou} must be in [0, 1].");
        }

        // Scratch: sort keys (ulongs) for one class, then the selected box indices of every class, then per-class counts.
        var groups = batches * classes;
        var selectedCapacity = groups * (int)maxOutput;
        var scratch = c.Scratch((2 * boxCount) + selectedCapacity + groups);
        var keys = MemoryMarshal.Cast<float, ulong>(scratch[..(2 * boxCount)]);
        var ints = MemoryMarshal.Cast<float, int>(scratch[(2 * boxCount)..]);
        var selected = ints[..selectedCapacity];
        var counts = ints.Slice(selectedCapacity, groups);
        var boxes = c.Floats(Boxes);
        var scores = c.Floats(Scores);
        var total = 0;
        for (var g = 0; g < groups; g++)
        {
            var batch = g / classes;
            var classScores = scores.Slice(g * boxCount, boxCount);
            var n = 0;
            for (var i = 0; i < boxCount; i++)
            {
                if (!hasScoreThreshold || classScores[i] > scoreThreshold)
                {
                    keys[n++] = SortKey(classScores[i], i);
                }
            }

            keys[..n].Sort();
            var picks = selected.Slice(g * (int)maxOutput, (int)maxOutput);
            var count = 0;
            for (var k = 0; k < n && count < maxOutput; k++)
            {
                var box = (int)(keys[k] & 0xFFFFFFFF);
                var candidate = boxes.Slice(((batch * boxCount) + box) * 4, 4);
                var keep = true;
                for (var s = 0; s < count && keep; s++)
                {
                    keep = Iou(candidate, boxes.Slice(((batch * boxCount) + picks[s]) * 4, 4)) <= iou;
                }

                if (keep)
                {
                    picks[count++] = box;
                }
            }

            counts[g] = count;
            total += count;
        }

        var y = c.OutputLongs(Y, [total, 3]);
        var row = 0;
        for (var g = 0; g < groups; g++)
        {
            for (var s = 0; s < counts[g]; s++, row++)
            {
                y[row * 3] = g / classes;
                y[(row * 3) + 1] = g % classes;
                y[(row * 3) + 2] = selected[(g * (int)maxOutput) + s];
            }
        }
    }

    /// <summary>A key whose ascending order is descending score, then ascending box index (NaN scores last).</summary>
    private static ulong SortKey(float score, int box)
    {
        // Map the float to an int whose order is the float order, then invert it so larger scores sort first.
        var bits = BitConverter.SingleToInt32Bits(float.IsNaN(score) ? float.NegativeInfinity : score);
        var ordered = bits < 0 ? ~bits : bits | int.MinValue;
        var descending = ~(uint)ordered;
        return ((ulong)descending << 32) | (uint)box;
    }

    /// <summary>Intersection over union of two boxes (0 when either has no area).</summary>
    private double Iou(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var (ay1, ax1, ay2, ax2) = Corners(a);
        var (by1, bx1, by2, bx2) = Corners(b);
        var areaA = (ay2 - ay1) * (ax2 - ax1);
        var areaB = (by2 - by1) * (bx2 - bx1);
        if (areaA <= 0 || areaB <= 0)
        {
            return 0;
        }

        var h = Math.Min(ay2, by2) - Math.Max(ay1, by1);
        var w = Math.Min(ax2, bx2) - Math.Max(ax1, bx1);
        if (h <= 0 || w <= 0)
        {
            return 0;
        }

        var inter = h * w;
        return inter / (areaA + areaB - inter);
    }

    /// <summary>(ymin, xmin, ymax, xmax) of a box in float64.</summary>
    private (double Y1, double X1, double Y2, double X2) Corners(ReadOnlySpan<float> box)
    {
        if (CenterPointBox)
        {
            double xc = box[0], yc = box[1], w = box[2], h = box[3];
            return (yc - (h / 2), xc - (w / 2), yc + (h / 2), xc + (w / 2));
        }

        return (Math.Min(box[0], box[2]), Math.Min(box[1], box[3]), Math.Max(box[0], box[2]), Math.Max(box[1], box[3]));
    }
}
