using ModelBuild.Compression.Representation;
using ModelBuild.Compression.Storage;

namespace ModelBuild.Compression.Tests.Storage;

/// <summary>
/// <see cref="StorageChoice"/> skips encoding the sparse candidate of an 8-bit per-row matrix when a lower bound of its
/// size already loses (issue 12: it cost seconds and a gigabyte per 8192² layer). The choice must stay what encoding
/// every candidate gives, on either side of the break-even.
/// </summary>
public sealed class StorageChoiceBoundTests
{
    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.01, false)]
    [InlineData(0.10, false)]
    [InlineData(0.115, false)]
    [InlineData(0.125, false)]
    [InlineData(0.14, false)]
    [InlineData(0.30, false)]
    [InlineData(0.10, true)]
    [InlineData(0.30, true)]
    public void Int8_choice_equals_the_smallest_of_every_encoded_candidate(double zeroFraction, bool zeroPoints)
    {
        const int rows = 48, cols = 200;
        var random = new Random(12);
        var codes = new sbyte[rows * cols];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = random.NextDouble() < zeroFraction ? (sbyte)0 : (sbyte)(random.Next(1, 128) * (random.Next(2) == 0 ? -1 : 1));
        }

        var scales = Enumerable.Range(0, rows).Select(r => 0.01f + (r * 1e-4f)).ToArray();
        var zp = zeroPoints ? new sbyte[rows] : null; // zero points of 0 keep code 0 decoding to +0
        var matrix = new LinearQuantized(rows, cols, 8, cols, codes, scales, zp);

        var chosen = StorageChoice.Smallest(matrix, entropyCoding: false);

        // Independent of the shortcut: encode both candidates and keep the first of the smallest.
        var mask = Array.ConvertAll(matrix.Decode(), v => BitConverter.SingleToInt32Bits(v) != 0);
        StoredMatrix[] candidates = Array.IndexOf(mask, false) >= 0 ? [matrix, new SparseMatrix(rows, cols, mask, matrix)] : [matrix];
        var expected = candidates.MinBy(WeightBlobWriter.EncodedSize)!;
        Assert.Equal(expected.GetType(), chosen.GetType());
        Assert.Equal(WeightBlobWriter.EncodedSize(expected), WeightBlobWriter.EncodedSize(chosen));
    }
}
