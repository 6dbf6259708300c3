import * as api from './index';

// The exported surface of @vad/artifacts is pinned, like sagemaker-client's: a change here is an API
// change for every project that imports it (add the name here on purpose, or keep it private).
it('exports exactly the public surface', () => {
  expect(Object.keys(api).sort()).toEqual([
    'AI_VAD_MODEL_KEYS', 'ByteReader', 'DEFAULT_UNPACK_LIMITS', 'STORED_ITEMSIZE', 'TAR_BLOCK', 'TORCH_STORAGES',
    'TarGuard', 'configFromAnomalibYaml', 'decodeStored', 'detectAnomalibLayout', 'droppedForMissingNetwork',
    'extractArchive', 'fortranToC', 'importAnomalibFiles', 'importCheckpoint', 'importTutorialFiles', 'inspectModel',
    'isGlobal', 'isPyArray', 'modelConfigFromHyperParameters', 'normaliseMemberPath', 'packModelDir', 'planStages',
    'pyArray', 'readJoblib', 'readLegacyStorage', 'readPickle', 'readTorchZip', 'readZipDirectory', 'readZipEntry',
    'renderInspectReport', 'storageFrom', 'storageTypeOf', 'stridedGather', 'summarise', 'tarEnd', 'tarHeader',
    'tarPadding', 'tensorsOf', 'toFloat32', 'torchGlobals', 'tuple', 'unpackModel', 'unpickle', 'validateMapped'
  ]);
});
