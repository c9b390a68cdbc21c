// The simulator's Cert: drive, for hosts that have none (PowerShell on Linux and macOS): a read-only
// certificate provider over DIR/certificates/<StoreLocation>/<StoreName>/*.cer, so that upn-match's own
// store lookup (Get-ChildItem Cert:\LocalMachine\My) runs unchanged against certificates a test seeds.
// Items are X509Certificate2 objects, as the Windows certificate provider returns them.
#pragma warning disable 0618, SYSLIB0057
using System;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Provider;
using System.Security.Cryptography.X509Certificates;

namespace UpnMatchSim
{
    [CmdletProvider("UpnMatchSimCertificate", ProviderCapabilities.None)]
    public class CertificateProvider : NavigationCmdletProvider
    {
        private static string Normal(string path)
        {
            char sep = Path.DirectorySeparatorChar;
            return (path ?? "").Replace('/', sep).Replace('\\', sep).TrimEnd(sep);
        }

        private string Folder(string path)
        {
            string root = Normal(PSDriveInfo.Root);
            string p = Normal(path);
            if (p.StartsWith(root, StringComparison.OrdinalIgnoreCase)) return p;
            return Path.Combine(root, p.TrimStart(Path.DirectorySeparatorChar));
        }

        private static X509Certificate2 Load(string file) { return new X509Certificate2(File.ReadAllBytes(file)); }

        protected override bool IsValidPath(string path) { return true; }
        protected override bool ItemExists(string path) { return Directory.Exists(Folder(path)) || File.Exists(Folder(path) + ".cer"); }
        protected override bool IsItemContainer(string path) { return Directory.Exists(Folder(path)); }
        protected override bool HasChildItems(string path) { return Directory.Exists(Folder(path)); }

        protected override void GetItem(string path)
        {
            string file = Folder(path) + ".cer";
            if (File.Exists(file)) WriteItemObject(Load(file), path, false);
            else if (Directory.Exists(Folder(path))) WriteItemObject(Path.GetFileName(Folder(path)), path, true);
        }

        protected override void GetChildItems(string path, bool recurse)
        {
            string folder = Folder(path);
            if (!Directory.Exists(folder)) return;
            foreach (string dir in Directory.GetDirectories(folder)) WriteItemObject(Path.GetFileName(dir), Path.Combine(path, Path.GetFileName(dir)), true);
            foreach (string file in Directory.GetFiles(folder, "*.cer")) WriteItemObject(Load(file), Path.Combine(path, Path.GetFileNameWithoutExtension(file)), false);
        }
    }
}
