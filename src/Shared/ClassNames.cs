namespace ModelBuild;

/// <summary>
/// The default class name of a model: the file name in PascalCase plus <c>Model</c>. Linked into the MSBuild
/// task and the CLI, which must agree and share no assembly.
/// </summary>
internal static class ClassNames
{
    /// <summary><c>mnist_cnn-fc128</c> → <c>MnistCnnFc128Model</c>; a leading digit gets an underscore.</summary>
    public static string FromFileStem(string fileStem)
    {
        var name = new System.Text.StringBuilder();
        var upperNext = true;
        foreach (var c in fileStem)
        {
            if (!char.IsLetterOrDigit(c))
            {
                upperNext = true;
                continue;
            }

            name.Append(upperNext ? char.ToUpperInvariant(c) : c);
            upperNext = char.IsDigit(c);
        }

        if (name.Length == 0 || char.IsDigit(name[0]))
        {
            name.Insert(0, '_');
        }

        return name.Append("Model").ToString();
    }
}
