using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ModelBuild.Generator.Tests;

/// <summary>An <c>AdditionalFiles</c> item held in memory, as the compiler would pass a plan from obj/.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}
