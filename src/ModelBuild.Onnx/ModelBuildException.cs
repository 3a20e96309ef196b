namespace ModelBuild;

/// <summary>
/// A user-facing failure with a stable <c>MB####</c> code, the file it concerns and, where known, the
/// line and column. The MSBuild task and the CLI turn it into a canonical error line.
/// </summary>
/// <remarks>Codes are listed in README.md ("Error codes"); keep both in sync.</remarks>
public sealed class ModelBuildException : Exception
{
    public ModelBuildException(string code, string? file, string message, int line = 0, int column = 0, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        File = file;
        Line = line;
        Column = column;
    }

    /// <summary>The stable error code, e.g. <c>MB1001</c>.</summary>
    public string Code { get; }

    public string? File { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The canonical MSBuild form: <c>file(line,col): error MB1001: message</c>.</summary>
    public string ToCanonicalString()
    {
        var location = File is null ? "ModelBuild" : Line > 0 ? $"{File}({Line},{Column})" : File;
        return $"{location}: error {Code}: {Message}";
    }
}
