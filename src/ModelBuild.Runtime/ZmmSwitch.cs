namespace ModelBuild.Runtime;

/// <summary>
/// When a process turns from a kernel's precompiled 256-bit twin to its 512-bit form. ModelBuild.Runtime's ReadyToRun
/// code targets x86-64-v3, so on an AVX-512 processor a 512-bit kernel is JIT-compiled at its first use (1.6–8 ms
/// each), while its twin (same FMA chains, so the same bits) is precompiled but slower per multiply-add. A process
/// counts the multiply-adds it puts through the twin and switches once that work would have paid for the compile: the
/// rule that never pays more than twice the best choice in hindsight. Small models never switch; long-running ones
/// switch within their first predictions. Since both forms give the same bits, when the switch happens changes no result.
/// <see cref="VnniSwitch"/> applies the same rule to the AVX-VNNI forms of the integer kernels, which have no
/// precompiled code either.
/// </summary>
/// <param name="afterMacs">The multiply-adds before the switch (see <see cref="AfterMacs"/>).</param>
internal sealed class ZmmSwitch(long afterMacs)
{
    private long _macs;

    /// <summary>Multiply-adds through the twin before the switch; tests set 0 (at once) or <see cref="long.MaxValue"/> (never).</summary>
    public long AfterMacs { get; set; } = afterMacs;

    /// <summary>
    /// Counts <paramref name="macs"/> more multiply-adds; true once the process is past <see cref="AfterMacs"/>. Past it, a
    /// plain read: no atomic write to a shared cache line on every call (threads share the counter).
    /// </summary>
    public bool Hot(long macs) => Volatile.Read(ref _macs) >= AfterMacs || Interlocked.Add(ref _macs, macs) >= AfterMacs;
}
