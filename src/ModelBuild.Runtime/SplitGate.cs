namespace ModelBuild.Runtime;

/// <summary>
/// Whether a calling thread's batch-1 splits still pay: a split runs its parts on the caller when no helper has a core
/// (a machine busy with other work), and then costs its overhead (repeated fills, copies: up to 1.3× the layer on this
/// 2-core VM at load 10–20, `quick threads split`) for nothing. After <see cref="MaxIdleRegions"/> regions in a row in
/// which helpers ran no part, only every <see cref="ProbeEvery"/>-th split is tried until a helper runs one again.
/// Not thread-safe: one per calling thread (<see cref="IntraOp"/>'s pool).
/// </summary>
internal struct SplitGate
{
    /// <summary>Regions in a row without a helper's part after which splits are only probed.</summary>
    public const int MaxIdleRegions = 8;

    /// <summary>One split in this many is still tried while helpers do not keep up.</summary>
    public const int ProbeEvery = 32;

    private int _idle, _asked;

    /// <summary>Records a region: whether any helper ran one of its parts.</summary>
    public void Record(bool helped) => _idle = helped ? 0 : Math.Min(_idle + 1, MaxIdleRegions);

    /// <summary>Whether the next batch-1 split should be tried.</summary>
    public bool Allows() => _idle < MaxIdleRegions || ++_asked % ProbeEvery == 0;
}
