using ModelBuild.Runtime.Execution;
using System.Runtime.InteropServices;

namespace ModelBuild.Runtime.Ops;

/// <summary>
/// The tensor layout shared by ONNX LSTM, GRU and RNN (Operators.md, "layout"): with layout 0 X is
/// <c>[T, B, I]</c>, Y <c>[T, D, B, H]</c> and the states <c>[D, B, H]</c>; with layout 1 (batch-major) X is
/// <c>[B, T, I]</c>, Y <c>[B, T, D, H]</c> and the states <c>[B, D, H]</c>. D is 2 for a bidirectional node, else 1.
/// </summary>
internal readonly ref struct Recurrence
{
    public Recurrence(ReadOnlySpan<int> xs, int hidden, RecurrenceDirection direction, bool batchMajor)
    {
        Steps = batchMajor ? xs[1] : xs[0];
        Batch = batchMajor ? xs[0] : xs[1];
        Input = xs[2];
        Hidden = hidden;
        Directions = direction == RecurrenceDirection.Bidirectional ? 2 : 1;
        Direction = direction;
        BatchMajor = batchMajor;
    }

    public int Steps { get; }

    public int Batch { get; }

    public int Input { get; }

    public int Hidden { get; }

    public int Directions { get; }

    public RecurrenceDirection Direction { get; }

    public bool BatchMajor { get; }

    /// <summary>Whether direction <paramref name="d"/> walks the sequence backwards.</summary>
    public bool IsReverse(int d) => Direction == RecurrenceDirection.Reverse || d == 1;

    /// <summary>The time step of iteration <paramref name="s"/> in direction <paramref name="d"/>.</summary>
    public int Step(int d, int s) => IsReverse(d) ? Steps - 1 - s : s;

    /// <summary>The row of X (and of X's projection) holding time step <paramref name="t"/> of batch item <paramref name="b"/>.</summary>
    public int Row(int t, int b) => BatchMajor ? (b * Steps) + t : (t * Batch) + b;

    /// <summary>Y's shape.</summary>
    public void OutputShape(Span<int> shape)
    {
        if (BatchMajor)
        {
            shape[0] = Batch;
            shape[1] = Steps;
        }
        else
        {
            shape[0] = Steps;
            shape[1] = Directions;
        }

        shape[2] = BatchMajor ? Directions : Batch;
        shape[3] = Hidden;
    }

    /// <summary>The shape of Y_h, Y_c, initial_h and initial_c.</summary>
    public void StateShape(Span<int> shape)
    {
        shape[0] = BatchMajor ? Batch : Directions;
        shape[1] = BatchMajor ? Directions : Batch;
        shape[2] = Hidden;
    }

    /// <summary>
    /// Reads X's layout for a node whose W entry holds, per direction, <c>[I, gateWidth]</c>, and infers I from it.
    /// </summary>
    /// <returns>Why X or the initial hidden state does not fit the weights, or null when they do.</returns>
    public static string? Open(OpContext c, int x, int wLength, int gateWidth, int hidden, RecurrenceDirection direction,
        bool batchMajor, int initialH, out Recurrence layout, out int input)
    {
        var xs = c.Shape(x);
        layout = default;
        input = 0;
        if (xs.Length != 3)
        {
            return $"X {ShapeMath.Format(xs)} must have rank 3.";
        }

        layout = new Recurrence(xs, hidden, direction, batchMajor);
        input = wLength / (layout.Directions * gateWidth);
        return layout.Problem(xs, input, c, initialH, "initial_h");
    }

    /// <summary>Shapes output Y and returns its storage, or an empty span when the node does not produce it.</summary>
    public Span<float> OutputY(OpContext c, int y)
    {
        if (y < 0)
        {
            return default;
        }

        Span<int> shape = stackalloc int[4];
        OutputShape(shape);
        return c.OutputFloats(y, shape);
    }

    /// <summary>Shapes a final-state output (Y_h, Y_c) and returns its storage, or an empty span when absent.</summary>
    public Span<float> OutputState(OpContext c, int state)
    {
        if (state < 0)
        {
            return default;
        }

        Span<int> shape = stackalloc int[3];
        StateShape(shape);
        return c.OutputFloats(state, shape);
    }

    /// <summary>
    /// The pre-activations of one time step for every batch item: <c>g[b, :] = H[b, :]·Rᵀ + xw[row(t, b), offset ..
    /// offset + width] + bias[.. width]</c>, with <paramref name="rt"/> <c>[H, width]</c>, <paramref name="g"/>
    /// <c>[B, width]</c> and <paramref name="xw"/> rows of <paramref name="xwStride"/> floats (<see cref="Project"/>).
    /// </summary>
    public void StepGates(ReadOnlySpan<float> h, ReadOnlySpan<float> rt, ReadOnlySpan<float> xw, int xwStride,
        ReadOnlySpan<float> bias, int t, Span<float> g, int width)
    {
        Kernels.MatMul(Simd.Best, h, rt, g, Batch, Hidden, width);
        for (var b = 0; b < Batch; b++)
        {
            var gb = g.Slice(b * width, width);
            AddTo(gb, xw.Slice(Row(t, b) * xwStride, width));
            if (!bias.IsEmpty)
            {
                AddTo(gb, bias[..width]);
            }
        }
    }

    /// <summary>Checks X and an optional initial state against the node's sizes.</summary>
    public string? Problem(ReadOnlySpan<int> xs, int inputSize, OpContext c, int initial, string name)
    {
        if (xs[2] != inputSize)
        {
            return $"X {ShapeMath.Format(xs)} must end in the weights' input size {inputSize}.";
        }

        if (initial < 0)
        {
            return null;
        }

        Span<int> expected = stackalloc int[3];
        StateShape(expected);
        return c.Shape(initial).SequenceEqual(expected) ? null
            : $"{name} {ShapeMath.Format(c.Shape(initial))} must be {ShapeMath.Format(expected)}.";
    }

    /// <summary>Copies direction <paramref name="d"/> of a state tensor into <paramref name="state"/> (<c>[B, H]</c>); zeros when absent.</summary>
    public void LoadState(ReadOnlySpan<float> tensor, bool present, int d, Span<float> state)
    {
        if (!present)
        {
            state.Clear();
            return;
        }

        for (var b = 0; b < Batch; b++)
        {
            tensor.Slice(StateOffset(d, b), Hidden).CopyTo(state.Slice(b * Hidden, Hidden));
        }
    }

    /// <summary>Copies <paramref name="state"/> (<c>[B, H]</c>) into direction <paramref name="d"/> of Y_h or Y_c.</summary>
    public void StoreState(ReadOnlySpan<float> state, int d, Span<float> tensor)
    {
        for (var b = 0; b < Batch; b++)
        {
            state.Slice(b * Hidden, Hidden).CopyTo(tensor.Slice(StateOffset(d, b), Hidden));
        }
    }

    /// <summary>Copies <paramref name="state"/> (<c>[B, H]</c>) into time step <paramref name="t"/>, direction <paramref name="d"/> of Y.</summary>
    public void StoreOutput(ReadOnlySpan<float> state, int t, int d, Span<float> y)
    {
        for (var b = 0; b < Batch; b++)
        {
            var offset = BatchMajor ? (((((b * Steps) + t) * Directions) + d) * Hidden) : (((((t * Directions) + d) * Batch) + b) * Hidden);
            state.Slice(b * Hidden, Hidden).CopyTo(y.Slice(offset, Hidden));
        }
    }

    /// <summary>
    /// <c>xw[row, :] = X[row, :] · Wᵀ (+ bias)</c> for every row of X, one tall product (the input part of every gate
    /// of every time step does not depend on the recurrence). <paramref name="wt"/> is <c>[I, G·H]</c>.
    /// </summary>
    public static void Project(ReadOnlySpan<float> x, ReadOnlySpan<float> wt, Span<float> xw, int rows, int input, int cols)
    {
        Kernels.MatMul(Simd.Best, x, wt, xw, rows, input, cols);
    }

    /// <summary><c>y[i] += a[i]</c> (SIMD).</summary>
    public static void AddTo(Span<float> y, ReadOnlySpan<float> a)
    {
        Elementwise.VV<AddOperator>(Simd.Best, ref MemoryMarshal.GetReference(y),
            ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(y), a.Length);
    }

    /// <summary>Applies an activation in place, clipping its input to [−clip, clip] first when <paramref name="clip"/> &gt; 0.</summary>
    public static void Activate(UnaryFunction f, Span<float> x, float clip)
    {
        if (clip > 0f)
        {
            Kernels.Unary(UnaryFunction.Clip, x, x, -clip, clip);
        }

        Kernels.Unary(f, x, x, 0f, 0f);
    }

    private int StateOffset(int d, int b) => (BatchMajor ? (b * Directions) + d : (d * Batch) + b) * Hidden;
}
