using System.Numerics;

namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// Accumulates the Gram matrix Σₛ xₛᵀxₛ of rows of length <c>cols</c> in float64 (upper triangle; the caller mirrors
/// it), a block of rows at a time as a SIMD matrix product instead of one outer product per row (issue 13: the
/// per-row loop was scalar and streamed the whole cols × cols matrix once per sample).
/// </summary>
/// <remarks>
/// Every element is summed exactly as the per-row loop did: start from its value, then add x[s,a]·x[s,b] for the rows
/// s in arrival order, multiply and add rounded separately (no fused multiply-add; a product with a zero adds ±0,
/// which changes no finite sum). The result is therefore bit-identical to the per-row loop on any SIMD width, and
/// the compressed models GPTQ/SparseGPT/AdaRound derive from it are unchanged.
/// Cost: cols²/2 multiply-adds per row as before, but from registers: a 4 × 2-vector tile of H stays in registers
/// for a whole block of <see cref="BlockRows"/> rows, so H is read and written once per block, not once per row.
/// </remarks>
public sealed class GramAccumulator
{
    /// <summary>Rows gathered before they are multiplied in (a 128 × 8 strip of the block stays in L1).</summary>
    public const int BlockRows = 128;

    private readonly int _cols;
    private readonly double[] _h;
    private readonly double[] _rows;       // staged rows, BlockRows × cols, row-major
    private readonly double[] _transposed; // the same rows, cols × BlockRows, for broadcasts
    private int _staged;

    /// <summary>Starts an accumulator for rows of length <paramref name="cols"/>; <see cref="Gram"/> is cols × cols.</summary>
    public GramAccumulator(int cols)
    {
        _cols = cols;
        _h = new double[(long)cols * cols <= Array.MaxLength ? cols * cols : throw new ArgumentOutOfRangeException(nameof(cols), "the Gram matrix would not fit in one array")];
        _rows = new double[BlockRows * cols];
        _transposed = new double[cols * BlockRows];
    }

    /// <summary>Rows added so far.</summary>
    public long Count { get; private set; }

    /// <summary>The staging row to fill next (length cols); <see cref="Commit"/> adds it.</summary>
    public Span<double> NextRow() => _rows.AsSpan(_staged * _cols, _cols);

    /// <summary>Adds the row written into <see cref="NextRow"/>.</summary>
    public void Commit()
    {
        var row = _rows.AsSpan(_staged * _cols, _cols);
        for (var c = 0; c < _cols; c++)
        {
            _transposed[(c * BlockRows) + _staged] = row[c];
        }

        _staged++;
        Count++;
        if (_staged == BlockRows)
        {
            Flush();
        }
    }

    /// <summary>Adds one row of float32 values.</summary>
    public void Add(ReadOnlySpan<float> row)
    {
        var target = NextRow();
        for (var c = 0; c < _cols; c++)
        {
            target[c] = row[c];
        }

        Commit();
    }

    /// <summary>The upper triangle of Σ xᵀx (row-major; entries below the diagonal are undefined) after every row so far.</summary>
    public double[] Gram()
    {
        Flush();
        return _h;
    }

    private void Flush()
    {
        var n = _staged;
        if (n == 0)
        {
            return;
        }

        var width = 2 * Vector<double>.Count;
        var strips = Vector.IsHardwareAccelerated ? _cols / width : 0;
        // Column strips outermost: the strip of staged rows stays in L1 while every row block of H above it is
        // updated. Strips write disjoint columns of H and sum each element the same way on any thread, so they are
        // spread over threads without changing a bit.
        if ((long)strips * width * _cols * n / 2 >= RowBlockProduct.ParallelWork)
        {
            Parallel.For(0, strips, strip => Strip(strip * width, n));
        }
        else
        {
            for (var strip = 0; strip < strips; strip++)
            {
                Strip(strip * width, n);
            }
        }

        var b = strips * width;
        for (; b < _cols; b++)
        {
            for (var a = 0; a <= b; a++)
            {
                var sum = _h[(a * _cols) + b];
                for (var s = 0; s < n; s++)
                {
                    var product = _transposed[(a * BlockRows) + s] * _rows[(s * _cols) + b];
                    sum += product;
                }

                _h[(a * _cols) + b] = sum;
            }
        }

        _staged = 0;
    }

    private void Strip(int b, int n)
    {
        var a = 0;
        var last = Math.Min(_cols, b + (2 * Vector<double>.Count)); // rows a < last meet the upper triangle in this strip
        for (; a + 4 <= last; a += 4)
        {
            Tile4(a, b, n);
        }

        for (; a < last; a++)
        {
            Tile1(a, b, n);
        }
    }

    private void Tile4(int a, int b, int n) =>
        VectorTile.FourByTwo(_transposed, a * BlockRows, BlockRows, _rows, b, _cols, n, _h, (a * _cols) + b, _cols, accumulate: true);

    private void Tile1(int a, int b, int n)
    {
        var v = Vector<double>.Count;
        var h0 = (a * _cols) + b;
        var (s0, s1) = (new Vector<double>(_h, h0), new Vector<double>(_h, h0 + v));
        var t = a * BlockRows;
        for (var s = 0; s < n; s++)
        {
            var y = new Vector<double>(_transposed[t + s]);
            s0 += y * new Vector<double>(_rows, (s * _cols) + b);
            s1 += y * new Vector<double>(_rows, (s * _cols) + b + v);
        }

        s0.CopyTo(_h, h0);
        s1.CopyTo(_h, h0 + v);
    }
}
