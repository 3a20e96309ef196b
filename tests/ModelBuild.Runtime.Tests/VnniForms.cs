using System.Runtime.Intrinsics.X86;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// The integer kernels' two forms (<see cref="VnniSwitch"/>): AVX2 always, AVX-VNNI where the processor has it. Tests
/// of those kernels run their checks in each form this machine has; the classes that use it are in
/// <see cref="KernelSwitchCollection"/>, since the switch is process-wide.
/// </summary>
internal static class VnniForms
{
    /// <summary>False (the AVX2 forms), then true (AVX-VNNI) where the processor has it.</summary>
    public static IEnumerable<bool> Available => AvxVnni.IsSupported ? [false, true] : [false];

    /// <summary>Runs <paramref name="check"/> once in each available form, naming the form in a failure's message.</summary>
    public static void Each(Action<string> check)
    {
        foreach (bool vnni in Available)
        {
            VnniSwitch.Allowed = vnni;
            try
            {
                check(vnni ? "AVX-VNNI" : "AVX2");
            }
            finally
            {
                VnniSwitch.Allowed = true;
            }
        }
    }
}
