import * as api from './index';

// The exported surface of @vad/artifacts is pinned, like sagemaker-client's: a change here is an API
// change for every project that imports it (add the name here on purpose, or keep it private).
it('exports exactly the public surface', () => {
  expect(Object.keys(api).sort()).toEqual([
    'AI_VAD_MODEL_KEYS', 'ByteReader', 'MAX_TEXT_MEMBER_BYTES', 'PickleBudget', 'STORED_ITEMSIZE', 'TAR_BLOCK',
    'TORCH_STORAGES', 'TarGuard', 'checkModelDirSafety', 'configFromAnomalibYaml', 'decodeStored',
    'detectAnomalibLayout', 'droppedForMissingNetwork', 'extractArchive', 'forgetTempDir', 'fortranToC',
    'importAnomalibFiles', 'importCheckpoint', 'importTutorialFiles', 'inspectModel', 'isGlobal', 'isPyArray',
    'makeTempDir', 'modelConfigFromHyperParameters', 'normaliseMemberPath', 'packModelDir', 'pickleLimits',
    'planStages', 'pyArray', 'readJoblib', 'readLegacyStorage', 'readPickle', 'readTorchZip', 'readZipDirectory',
    'readZipEntry', 'removeTempDir', 'renderInspectReport', 'storageFrom', 'storageTypeOf', 'stridedGather',
    'summarise', 'sweepStale', 'tarEnd', 'tarHeader', 'tarPadding', 'tensorsOf', 'toFloat32', 'torchGlobals', 'tuple',
    'unpackLimits', 'unpackModel', 'unpickle', 'validateMapped',
  ]);
});
