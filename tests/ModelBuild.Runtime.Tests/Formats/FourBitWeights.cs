using ModelBuild.Runtime.Formats;
using static ModelBuild.Runtime.Tests.Formats.TestPack;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>Random 4-bit weights loaded through a blob as the runtime keeps them (<see cref="DirectWeights"/>), with the values they stand for.</summary>
internal static class FourBitWeights
{
    /// <summary>
    /// Linear int4 (format 4): codes 0–15, scales in [0.01, 0.11), zero points in [<paramref name="zpMin"/>,
    /// <paramref name="zpMax"/>] when <paramref name="asym"/>, per channel (<paramref name="group"/> 0) or per group.
    /// </summary>
    public static (DirectWeights W, double[] Values, int[] Codes, float[] Scales, int Group, int PerRow) Linear(Random rng, int n, int k, int group, bool asym, int zpMin = -2, int zpMax = 2)
    {
        int g = group == 0 || group > k ? k : group, perRow = (k + g - 1) / g;
        float[] scales = Enumerable.Range(0, n * perRow).Select(_ => 0.01f + (0.1f * rng.NextSingle())).ToArray();
        sbyte[]? zps = asym ? Enumerable.Range(0, n * perRow).Select(_ => (sbyte)rng.Next(zpMin, zpMax + 1)).ToArray() : null;
        int[] codes = Enumerable.Range(0, n * k).Select(_ => rng.Next(16)).ToArray();
        double[] wd = codes.Select((u, i) =>
        {
            int at = (i / k * perRow) + (i % k / g);
            return (double)(float)((u - 8 - (zps?[at] ?? 0)) * (double)scales[at]);
        }).ToArray();
        byte[] payload = Concat([4, (byte)(asym ? 1 : 0), 0, 0], U32((uint)g), F32(scales),
            zps is null ? [] : Pad4(zps.Select(z => (byte)z).ToArray()), Bits(codes, 4));
        WeightBlob blob = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], payload) { FormatOverride = 4 }]));
        return (blob.DenseMatrix(0).Direct!, wd, codes, scales, g, perRow);
    }

    /// <summary>
    /// A 16-entry palette (format 5), one book per <paramref name="rowsPerBook"/> rows, each book's entries k·s with
    /// distinct k in [−63, 63], one of them ±63, so the runtime derives s and keeps the books on the narrow grid
    /// (<see cref="DirectWeights.BiasedSteps"/>). Tables: books × 16 floats; codes: row-major.
    /// </summary>
    public static (DirectWeights W, float[] Tables, int[] Codes) Palette(Random rng, int n, int k, int rowsPerBook)
    {
        int books = (n + rowsPerBook - 1) / rowsPerBook;
        var tables = new float[books * 16];
        for (int b = 0; b < books; b++)
        {
            float s = rng.Next(16, 1024) / 65536f;
            int end = rng.Next(2) == 0 ? 63 : -63;
            int[] steps = [.. Enumerable.Range(-62, 125).OrderBy(_ => rng.Next()).Take(15).Append(end)];
            for (int e = 0; e < 16; e++)
            {
                tables[(b * 16) + e] = steps[e] * s;
            }
        }

        int[] codes = Enumerable.Range(0, n * k).Select(_ => rng.Next(16)).ToArray();
        byte[] payload = Concat([4, 0, 0, 0], U32((uint)rowsPerBook), F32(tables), Bits(codes, 4));
        DirectWeights w = WeightBlob.Load(BlobWriter.Write([new BlobEntrySpec("w", WeightFormat.Float32, [n, k], payload) { FormatOverride = 5 }])).DenseMatrix(0).Direct!;
        if (w.BiasedSteps.Length != books * 16)
        {
            throw new InvalidOperationException("the palette was not kept on the narrow grid");
        }

        return (w, tables, codes);
    }
}
