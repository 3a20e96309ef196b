using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime;

/// <summary>
/// Whether the integer kernels use AVX-VNNI (<c>vpdpbusd</c>, <c>vpdpwssd</c>: a multiply and its accumulation in one
/// instruction). Intel from Alder Lake and AMD from Zen 4 have it, with AVX-512 or without (Alder and Raptor Lake have
/// no AVX-512). As with <see cref="Wide512"/>, dispatch code reads a field, not the intrinsic: ReadyToRun code is
/// compiled for x86-64-v3, and a precompiled method that tests <c>AvxVnni.IsSupported</c> is rejected on a processor
/// that has it. The kernels that use it are marked AggressiveOptimization for the same reason (no precompiled code of
/// theirs can run, and tier-0 code would run the first predictions). Compiling one costs 1–3 ms (mnist_mlp_256's
/// first prediction: 15 against 12 ms with the AVX2 forms, `quick cold`, 2026-12-05), and the AVX-VNNI forms save
/// about 3 ms per 10^9 multiply-adds, so a process turns to them once it has put that many through the integer
/// kernels (<see cref="ZmmSwitch"/>'s rule; small models in short processes never do).
/// </summary>
internal static class VnniSwitch
{
    private static readonly bool Supported = AvxVnni.IsSupported;

    private static readonly ZmmSwitch s_after = new(1_000_000_000);

    /// <summary>False sends the integer kernels to their AVX2 forms (tests of both on one machine; the benchmarks' A/B).</summary>
    internal static bool Allowed { get; set; } = true;

    /// <summary>Multiply-adds through the AVX2 forms before the AVX-VNNI ones run; tests set 0 (at once).</summary>
    internal static long AfterMacs { get => s_after.AfterMacs; set => s_after.AfterMacs = value; }

    /// <summary>
    /// Whether a call of <paramref name="macs"/> multiply-adds takes the AVX-VNNI form: the processor has it, it is
    /// <see cref="Allowed"/>, and the process is past <see cref="AfterMacs"/> (this call's counted).
    /// </summary>
    public static bool Use(long macs) => Supported && Allowed && s_after.Hot(macs);
}
