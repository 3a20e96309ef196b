namespace ModelBuild.Runtime.Execution;

/// <summary>
/// Whether a program keeps the samples of its batch apart: output sample <c>i</c> (index <c>i</c> along axis 0) depends
/// on input sample <c>i</c> and the constants only, whatever the batch size. Then a batch can run as chunks of a few
/// samples (<see cref="BatchChunks"/>), whose activations stay in the core's cache, and the chunks can go to different
/// threads. Each operator answers for itself (<see cref="Op.KeepsSamplesApart"/>); one that does not know says no.
/// </summary>
/// <remarks>
/// The walk is over a probe run of <see cref="ProbeBatch"/> samples: its shapes give every value's rank (to resolve
/// negative axes), and every value the walk marks as batched must have <see cref="ProbeBatch"/> as its first dim, which
/// catches a Reshape or Flatten that folds samples together.
/// </remarks>
public sealed class SampleFlow
{
    /// <summary>The batch of the probe run the walk reads shapes from (2: a folded batch cannot keep that first dim by accident of a 1).</summary>
    public const int ProbeBatch = 2;

    private readonly ModelProgram _program;
    private readonly OpContext _probe;
    private readonly bool[] _batched;

    private SampleFlow(ModelProgram program, OpContext probe)
    {
        _program = program;
        _probe = probe;
        _batched = new bool[program.Values.Count];
    }

    /// <summary>
    /// Whether <paramref name="program"/>, a single-input program whose input holds samples along axis 0, keeps them
    /// apart in every output; <paramref name="probe"/> has just run it on <see cref="ProbeBatch"/> samples.
    /// </summary>
    public static bool Holds(ModelProgram program, OpContext probe)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(probe);
        if (program.Inputs.Count != 1)
        {
            return false;
        }

        var flow = new SampleFlow(program, probe);
        flow._batched[program.Inputs[0]] = true;
        foreach (var op in program.Ops)
        {
            if (!op.KeepsSamplesApart(flow))
            {
                return false;
            }
        }

        foreach (var output in program.Outputs)
        {
            if (!flow._batched[output])
            {
                return false;
            }
        }

        for (int v = 0; v < flow._batched.Length; v++)
        {
            if (flow._batched[v] && (probe.Shape(v).Length == 0 || probe.Shape(v)[0] != ProbeBatch))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether value <paramref name="value"/> holds the samples along its axis 0.</summary>
    public bool IsBatched(int value) => value >= 0 && _batched[value];

    /// <summary>Whether value <paramref name="value"/> is a constant (the same for every sample and batch size).</summary>
    public bool IsConstant(int value) => value >= 0 && !_program.Values[value].IsActivation;

    /// <summary>The rank of value <paramref name="value"/> (from the probe run).</summary>
    public int Rank(int value) => _probe.Shape(value).Length;

    /// <summary>The shape of value <paramref name="value"/> in the probe run.</summary>
    public ReadOnlySpan<int> Shape(int value) => _probe.Shape(value);

    /// <summary>
    /// Whether <paramref name="axis"/> (negative counts from the end) of a rank-<paramref name="rank"/> tensor is a
    /// valid axis other than 0, the samples' axis.
    /// </summary>
    public static bool IsInnerAxis(long axis, int rank) => ShapeMath.TryAxis(axis, rank, out var a) && a > 0;

    /// <summary>
    /// Whether operand <paramref name="value"/> of an element-wise op with a rank-<paramref name="outputRank"/> output
    /// leaves samples apart: it is batched with the output's rank (its axis 0 aligned with the output's), or a constant
    /// that broadcasts along axis 0 (lower rank, or a first dim of 1).
    /// </summary>
    public bool IsElementwiseOperand(int value, int outputRank) =>
        IsBatched(value) ? Rank(value) == outputRank
            : IsConstant(value) && (Rank(value) < outputRank || Shape(value)[0] == 1);

    /// <summary>Marks <paramref name="value"/> as holding samples along axis 0; returns true (for <c>return flow.Batched(Y);</c>).</summary>
    public bool Batched(int value)
    {
        _batched[value] = true;
        return true;
    }

    /// <summary>The common case: <paramref name="x"/> is batched and <paramref name="y"/> keeps its samples (per-sample operators).</summary>
    public bool PerSample(int x, int y) => IsBatched(x) && Batched(y);
}
