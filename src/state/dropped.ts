/**
 * What a drop holds: files with their paths inside dropped folders (Chromium hands a folder's entries
 * out 100 at a time, so each folder is read until it returns none), and empty folders as 'path/'
 * markers (an empty class folder is worth saying).
 */
export interface DroppedFile { path: string; file: File }

const DATA_EXT = /\.(jpe?g|png|webp|bmp|zip|csv|tsv|bin|tar|tgz|tar\.gz|npy|npz)$/i;

/** Image data rather than a model or IDX file: images, archives, manifests, CIFAR batches, arrays, anything inside a folder, folder markers. */
export function isImageDataPath(path: string): boolean {
  if (/\.onnx$/i.test(path)) return false;
  if (/(idx\d-ubyte|\.idx\d?)(\.gz)?$/i.test(path)) return false;
  return DATA_EXT.test(path) || path.includes('/') || /^(classes|labels|class_names)\.txt$/i.test(path);
}

interface Entry { isFile: boolean; isDirectory: boolean; name: string; fullPath: string }
interface FileEntry extends Entry { file(ok: (f: File) => void, fail: (e: unknown) => void): void }
interface DirEntry extends Entry { createReader(): { readEntries(ok: (e: Entry[]) => void, fail: (e: unknown) => void): void } }

/** Every file of a drop, folders walked to the end. */
export async function droppedFiles(dt: DataTransfer): Promise<DroppedFile[]> {
  const roots = [...dt.items].map((i) => (i.webkitGetAsEntry?.() as Entry | null) ?? null);
  if (!roots.some(Boolean)) return [...dt.files].map((file) => ({ path: file.name, file }));
  const out: DroppedFile[] = [];
  const walk = async (e: Entry): Promise<void> => {
    const path = e.fullPath.replace(/^\//, '');
    if (e.isFile) {
      out.push({ path, file: await new Promise<File>((ok, fail) => (e as FileEntry).file(ok, fail)) });
      return;
    }
    const reader = (e as DirEntry).createReader();
    let any = false;
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) break;
      any = true;
      for (const child of batch) await walk(child);
    }
    if (!any) out.push({ path: `${path}/`, file: new File([], '') });
  };
  for (const r of roots) if (r) await walk(r);
  return out;
}
