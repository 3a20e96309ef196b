namespace ModelBuild.Generator.Model;

/// <summary>An activation buffer in the arena; offset and size are per sample (floats).</summary>
internal sealed record BufferSpec(int Id, int Offset, int Size);
