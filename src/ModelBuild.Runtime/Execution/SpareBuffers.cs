namespace ModelBuild.Runtime.Execution;

/// <summary>
/// The buffers an <see cref="OpContext"/>'s slots (and scratch area) outgrew during one <see cref="ModelProgram.Run"/>,
/// handed to slots that grow later in the same run. A first prediction grows every slot from nothing, and on a cold
/// process each fresh 4 KiB page costs a page fault when first touched (10–20 µs of CPU each on a loaded VM, 1–2 µs on
/// bare metal): reusing pages an earlier layer already touched instead of allocating new ones removes a share of those
/// faults (ppocr_det's first run touched 25 MiB). Spares are dropped when the run ends, so a context's steady-state
/// memory is its slots as before, and a steady-state run (no slot grows) never touches this class's lists.
/// </summary>
/// <remarks>
/// A buffer outgrown by an operator is only <em>retired</em> until that operator returns: the operator may still read
/// an input through a span of the old buffer (an in-place operator whose output grew the slot). Outside a run (an
/// operator executed on its own) nothing is kept, as before this class.
/// </remarks>
internal sealed class SpareBuffers
{
    // A spare is not given to a request under a quarter of its size: a later, larger growth would then miss it.
    private const int MaxWasteFactor = 4;

    private readonly List<AlignedBuffer> _retired = [];
    private readonly List<AlignedBuffer> _free = [];
    private bool _active;

    /// <summary>Starts keeping outgrown buffers (the start of a run).</summary>
    public void Begin() => _active = true;

    /// <summary>Keeps <paramref name="buffer"/>, which a slot just outgrew, until the current operator returns.</summary>
    public void Retire(AlignedBuffer buffer)
    {
        if (_active && buffer.Length > 0)
        {
            _retired.Add(buffer);
        }
    }

    /// <summary>The smallest spare of at least <paramref name="bytes"/> (removed from the spares), or a default buffer.</summary>
    public AlignedBuffer Take(long bytes)
    {
        int best = -1;
        for (int i = 0; i < _free.Count; i++)
        {
            long length = _free[i].Length;
            if (length >= bytes && length <= MaxWasteFactor * Math.Max(bytes, 1) && (best < 0 || length < _free[best].Length))
            {
                best = i;
            }
        }

        if (best < 0)
        {
            return default;
        }

        AlignedBuffer taken = _free[best];
        _free[best] = _free[^1];
        _free.RemoveAt(_free.Count - 1);
        return taken;
    }

    /// <summary>The current operator returned: what it retired is free for the next ones.</summary>
    public void OperatorDone()
    {
        if (_retired.Count > 0)
        {
            // A loop, not AddRange: List<AlignedBuffer>.AddRange's CopyTo is an instantiation ReadyToRun does not
            // precompile, so it was JIT-compiled in every first prediction (cold start, issue 12).
            for (int i = 0; i < _retired.Count; i++)
            {
                _free.Add(_retired[i]);
            }

            _retired.Clear();
        }
    }

    /// <summary>Drops every spare and stops keeping them (the end of a run).</summary>
    public void End()
    {
        _active = false;
        _retired.Clear();
        _free.Clear();
    }
}
