using System.Runtime.InteropServices;

namespace ModelBuild;

/// <summary>
/// Refuses paths that are not regular files before anything opens them: opening a FIFO blocks until a writer
/// appears and <c>/dev/zero</c> never ends, so either would hang the build instead of failing it.
/// </summary>
public static class SafeFiles
{
    /// <summary>What a path names (symbolic links followed).</summary>
    public enum Kind
    {
        Missing,
        Regular,
        Directory,
        Fifo,
        CharacterDevice,
        BlockDevice,
        Socket,
        Other,
    }

    /// <summary>Throws <paramref name="code"/> naming the file and its kind unless <paramref name="path"/> is a regular file (or missing: callers report that).</summary>
    public static void RequireRegularOrMissing(string path, string code, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        var kind = KindOf(path);
        if (kind is not (Kind.Regular or Kind.Missing))
        {
            throw new ModelBuildException(code, path,
                $"the {what} '{path}' is {Describe(kind)}, not a regular file; ModelBuild reads only regular files (a pipe or device could block or never end). Point it at a file.");
        }
    }

    /// <summary>The kind of <paramref name="path"/>; paths with a NUL character are <see cref="Kind.Missing"/> (no file can have that name).</summary>
    public static Kind KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            return Kind.Missing;
        }

        if (OperatingSystem.IsLinux())
        {
            try
            {
                return LinuxKind(path);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // A libc without statx (very old glibc): fall back to what .NET itself can tell.
            }
        }

        // Elsewhere .NET tells directories from files; FIFOs and devices are a Unix concern checked above.
        return Directory.Exists(path) ? Kind.Directory : File.Exists(path) ? Kind.Regular : Kind.Missing;
    }

    private static string Describe(Kind kind) => kind switch
    {
        Kind.Directory => "a directory",
        Kind.Fifo => "a named pipe (FIFO)",
        Kind.CharacterDevice => "a character device",
        Kind.BlockDevice => "a block device",
        Kind.Socket => "a socket",
        _ => "a special file",
    };

    private static Kind LinuxKind(string path)
    {
        // struct statx has the same layout on every Linux architecture; stx_mode is the u16 at offset 28.
        var buffer = new byte[256];
        if (NativeMethods.Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
        {
            return Kind.Missing;
        }

        return (BitConverter.ToUInt16(buffer, 28) & 0xF000) switch
        {
            0x8000 => Kind.Regular,
            0x4000 => Kind.Directory,
            0x1000 => Kind.Fifo,
            0x2000 => Kind.CharacterDevice,
            0x6000 => Kind.BlockDevice,
            0xC000 => Kind.Socket,
            _ => Kind.Other,
        };
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 1;

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        public static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
    }
}
