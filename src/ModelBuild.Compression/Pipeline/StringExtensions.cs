namespace ModelBuild.Compression.Pipeline;

internal static class StringExtensions
{
    public static string OrIfEmpty(this string value, string fallback) => value.Length == 0 ? fallback : value;
}
