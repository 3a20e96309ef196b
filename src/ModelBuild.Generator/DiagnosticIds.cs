namespace ModelBuild.Generator;

/// <summary>The generator's diagnostic codes (README "Error codes").</summary>
internal static class DiagnosticIds
{
    public const string UnsupportedVersion = "MBG001";
    public const string MalformedPlan = "MBG002";
    public const string UnknownOp = "MBG003";
}
