using ModelBuild.Compression.Algorithms.Quantization;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Quantization;
using ModelBuild.Compression.Representation;

namespace ModelBuild.Compression.Passes.Quantization;

/// <summary>
/// k-means weight sharing: each weight becomes an index into a codebook of 2^bits floats fitted to the layer
/// (one codebook per tensor or per block of rows).
/// </summary>
/// <remarks>
/// If a block already has exact zeros (a pruning pass ran first), one entry is pinned to 0 and the zeros keep it,
/// so pruning then palettising loses no sparsity; a matrix with at least <see cref="SparseThreshold"/> zeros is
/// stored as a <see cref="SparseMatrix"/> over the palette.
/// </remarks>
public sealed class PalettizePass(PalettizeSpec spec) : ICompressionPass
{
    /// <summary>The zero fraction from which the result is stored sparse.</summary>
    public const double SparseThreshold = 0.3;

    /// <inheritdoc />
    public void Apply(CompressionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var layers = LayerSelection.Included(context, spec.Exclude, spec.Layers);
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            context.Progress?.Report($"{PalettizeSpec.PassName}: layer {index + 1}/{layers.Count} '{layer.Name}' ({layer.Rows}×{layer.Cols})");
            var original = context.GetMatrix(layer);
            var palette = Palettize(original, layer.Rows, layer.Cols, spec.Bits, spec.RowsPerCodebook, spec.Init, spec.SnapsToGrid);
            var decoded = palette.Decode();
            var zeros = original.Count(v => v == 0) / (double)original.Length;
            StoredMatrix stored = zeros >= SparseThreshold ? new SparseMatrix(layer.Rows, layer.Cols, original.Select(v => v != 0).ToArray(), palette) : palette;
            context.Stored[layer.Name] = stored;
            context.SetMatrix(layer, decoded);
            var (relative, mse) = LayerSelection.Error(original, decoded);
            context.Notes.Add(FormattableString.Invariant($"{PalettizeSpec.PassName} '{layer.Name}': {stored.Describe()}, {spec.Bits} bits, relative weight error {relative:0.####}, MSE {mse:0.###e+0}"));
        }
    }

    /// <summary>Fits the codebooks and assigns each weight its nearest entry.</summary>
    /// <param name="w">The matrix, row-major.</param>
    /// <param name="rows">Output units.</param>
    /// <param name="cols">Inputs.</param>
    /// <param name="bits">1..8.</param>
    /// <param name="rowsPerCodebook">Rows sharing a codebook; 0 or ≥ rows: one per tensor.</param>
    /// <param name="init">Where the centroids start.</param>
    /// <param name="int8Grid">Snap each fitted codebook onto an int8 grid (<see cref="GridPalette"/>) before the
    /// weights are assigned; a codebook that cannot be snapped (all zeros) stays as fitted.</param>
    public static Palettized Palettize(float[] w, int rows, int cols, int bits, int rowsPerCodebook, PaletteInit init, bool int8Grid = false)
    {
        var perBlock = rowsPerCodebook <= 0 ? rows : Math.Min(rowsPerCodebook, rows);
        var size = 1 << bits;
        var blocks = (rows + perBlock - 1) / perBlock;
        var codebooks = new float[blocks * size];
        var indices = new byte[rows * cols];
        for (var b = 0; b < blocks; b++)
        {
            var start = b * perBlock * cols;
            var values = new ArraySegment<float>(w, start, Math.Min(perBlock * cols, w.Length - start));
            // A zero entry is pinned only when zeros are clearly deliberate (pruning), not a chance value.
            var keepZero = size > 1 && values.Count(v => v == 0) >= Math.Max(1, values.Count / 100);
            var fitted = KMeansPalette.Fit(values, size, init == PaletteInit.Linear, keepZero);
            var centroids = int8Grid ? GridPalette.Snap(fitted) ?? fitted : fitted;
            centroids.CopyTo(codebooks, b * size);
            for (var i = 0; i < values.Count; i++)
            {
                indices[start + i] = (byte)KMeansPalette.Nearest(values[i], centroids);
            }
        }

        return new Palettized(rows, cols, bits, perBlock, codebooks, indices);
    }
}
