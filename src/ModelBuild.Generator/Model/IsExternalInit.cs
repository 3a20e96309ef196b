namespace System.Runtime.CompilerServices;

/// <summary>Lets netstandard2.0 compile <c>record</c> types and <c>init</c> accessors.</summary>
internal static class IsExternalInit
{
}
