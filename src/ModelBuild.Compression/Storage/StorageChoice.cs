using System.IO.Compression;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Storage;

/// <summary>
/// Picks, among representations that decode to exactly the same values, the one that costs the fewest blob bytes:
/// the pass's own choice, the same values as a sparse entry (format 8) when the matrix holds exact zeros (a pruning
/// pass ran, whatever came after it), and ternary codes as plain 2-bit codes when the blob is entropy coded.
/// </summary>
/// <remarks>
/// Without entropy coding the cost is <see cref="WeightBlobWriter.EncodedSize"/>; with it, the Brotli-compressed
/// size of the entry's payload (quality 9, a faster stand-in for the blob's quality 11: it only ranks candidates).
/// Ties keep the earlier candidate, so the choice is deterministic and a dense entry is never replaced for nothing.
/// </remarks>
public static class StorageChoice
{
    private const int RankingQuality = 9;
    private const int Window = 22;

    /// <summary>The smallest representation with the same <see cref="StoredMatrix.Decode"/> as <paramref name="matrix"/>.</summary>
    /// <param name="matrix">What the passes chose (a <see cref="DenseFloat"/> for a weight no pass stored).</param>
    /// <param name="entropyCoding">Whether the blob's payload is Brotli-compressed (the <c>entropy</c> pass).</param>
    public static StoredMatrix Smallest(StoredMatrix matrix, bool entropyCoding)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var candidates = new List<StoredMatrix> { matrix };
        if (entropyCoding && matrix is LinearQuantized { IsTernary: true, TwoBitCodes: false } ternary)
        {
            // Base-3 packing (5 trits a byte) hides the code boundaries from Brotli; 2-bit codes keep them aligned.
            candidates.Add(ternary with { TwoBitCodes = true });
        }

        if (matrix is not SparseMatrix and not WithOutliers && ZeroMask(matrix) is { } mask && !SparseCannotWin(matrix, mask, entropyCoding))
        {
            candidates.AddRange(candidates.ToList().Select(inner => new SparseMatrix(matrix.Rows, matrix.Cols, mask, inner)));
        }

        return candidates.Count == 1 ? matrix : candidates.MinBy(c => Cost(c, entropyCoding))!;
    }

    /// <summary>
    /// The bytes <paramref name="matrix"/> costs in its smallest lossless form: encoded size, or with
    /// <paramref name="entropyCoding"/> the Brotli-compressed size of its payload alone (auto mode's per-layer size model).
    /// </summary>
    public static long SizeOf(StoredMatrix matrix, bool entropyCoding) => Cost(Smallest(matrix, entropyCoding), entropyCoding);

    /// <summary>Where the decoded values are not exactly +0, or null when none is.</summary>
    private static bool[]? ZeroMask(StoredMatrix matrix)
    {
        // Only +0 is dropped: a sparse entry decodes its missing positions as +0, so −0 must stay stored.
        var mask = Array.ConvertAll(matrix.Decode(), v => BitConverter.SingleToInt32Bits(v) != 0);
        return Array.IndexOf(mask, false) >= 0 ? mask : null;
    }

    /// <summary>
    /// True when no sparse form of an 8-bit per-row matrix can be smaller than the matrix itself, by a lower bound of
    /// the sparse payload (docs/FORMATS.md: a 12-byte header; an index of at least min(the bitmask, one byte per kept
    /// value); the inner packed-linear payload's 8-byte header, per-row scales and zero points and one byte per kept
    /// code). The default int8 of a dense layer rounds a few weights to 0, and encoding the sparse candidate of a
    /// 8192² layer only to lose to the dense one costs seconds and a gigabyte of garbage (issue 12). Without entropy
    /// coding only: with it the cost is a Brotli size, which this bound does not cover.
    /// </summary>
    private static bool SparseCannotWin(StoredMatrix matrix, bool[] mask, bool entropyCoding)
    {
        if (entropyCoding || matrix is not LinearQuantized { Bits: 8, IsTernary: false } q || q.GroupSize < q.Cols)
        {
            return false;
        }

        long values = mask.LongLength, kept = mask.AsSpan().Count(true);
        var zeroPoints = q.ZeroPoints is null ? 0 : Formats.BitPacking.Pad4(q.Rows);
        var bound = 12 + Math.Min((values + 7) / 8, kept) + 8 + (4L * q.Rows) + zeroPoints + kept;
        return bound >= WeightBlobWriter.EncodedSize(q); // ties keep the dense matrix (Smallest), so equal cannot win either
    }

    private static long Cost(StoredMatrix matrix, bool entropyCoding)
    {
        if (!entropyCoding)
        {
            return WeightBlobWriter.EncodedSize(matrix);
        }

        var writer = new WeightBlobWriter();
        writer.AddStored("w", matrix, [matrix.Rows, matrix.Cols]);
        var payload = writer.Payload(0);
        using var encoder = new BrotliEncoder(RankingQuality, Window);
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(payload.Length)];
        encoder.Compress(payload, buffer, out _, out var written, isFinalBlock: true);
        return written;
    }
}
