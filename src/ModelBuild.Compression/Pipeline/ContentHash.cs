using System.Security.Cryptography;
using System.Text;
using ModelBuild.Compression.Manifest;

namespace ModelBuild.Compression.Pipeline;

/// <summary>
/// A SHA-256 of everything a compression result depends on: the ModelBuild build that made it, the request, the
/// model, the manifest and every data file the manifest names. MSBuild's timestamps already skip untouched models;
/// this also skips the work (passes, accuracy evaluation) when files were touched but not changed, e.g. by a
/// checkout or a restore.
/// </summary>
internal static class ContentHash
{
    public static string Compute(CompressionRequest request, CompressionManifest manifest)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string text) => sha.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        void FileBytes(string path)
        {
            Text(path);
            if (!File.Exists(path))
            {
                return; // the reader reports it (MB1001) with the file's name
            }

            using var stream = File.OpenRead(path);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }
        }

        Text(typeof(ContentHash).Assembly.ManifestModule.ModuleVersionId.ToString());
        Text($"{request.ClassName}|{request.Namespace}|{request.ResourceName}|{request.InputShapes}|{request.Runtime}|{request.Generate}");
        FileBytes(request.ModelPath);
        if (request.ManifestPath.Length > 0)
        {
            FileBytes(request.ManifestPath);
        }

        foreach (var path in manifest.DataFiles().Where(File.Exists))
        {
            FileBytes(path);
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
