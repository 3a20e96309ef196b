namespace ModelBuild.Compression.Tests.Support;

/// <summary>A fact that runs only when the environment variable <c>name</c> is <c>1</c>.</summary>
public sealed class OptInFactAttribute : FactAttribute
{
    public OptInFactAttribute(string name)
    {
        if (Environment.GetEnvironmentVariable(name) != "1")
        {
            Skip = $"slow: set {name}=1 to run it.";
        }
    }
}

/// <summary>A theory that runs only when the environment variable <c>name</c> is <c>1</c>.</summary>
public sealed class OptInTheoryAttribute : TheoryAttribute
{
    public OptInTheoryAttribute(string name)
    {
        if (Environment.GetEnvironmentVariable(name) != "1")
        {
            Skip = $"slow: set {name}=1 to run it.";
        }
    }
}
