## Администрирование: сотрудники

admin-staff-title = Сотрудники
admin-staff-create-heading = Новый сотрудник
admin-staff-list-heading = Учётные записи сотрудников
admin-staff-count = { $count ->
    [one] { $count } учётная запись
    [few] { $count } учётные записи
   *[many] { $count } учётных записей
}
admin-staff-id = Номер
admin-staff-email = Электронная почта (логин)
admin-staff-password = Пароль (не короче 10 символов)
admin-staff-role = Роль
admin-staff-role-moderator = Модератор
admin-staff-role-executor = Исполнитель
admin-staff-role-admin = Администратор
admin-staff-agency = Ведомство (только для исполнителя)
admin-staff-agency-none = Без ведомства
admin-staff-district = Районное подразделение (только для ведомств с районами)
admin-staff-district-none = Все районы
admin-staff-supervisor = Руководитель ведомства: получает просроченные обращения и видит показатели
admin-staff-create = Создать учётную запись
admin-staff-save = Сохранить
admin-staff-settings = Роль и ведомство
admin-staff-state = Доступ
admin-staff-created = создана
admin-staff-self = Это ваша учётная запись. Изменить её роль или заблокировать её может другой администратор.
admin-staff-enabled = Действует
admin-staff-disabled = Заблокирована
admin-staff-disable = Заблокировать
admin-staff-enable = Разблокировать
admin-staff-done-created = Учётная запись создана. Сообщите сотруднику логин и пароль.
admin-staff-done-updated = Изменения сохранены. Сотруднику нужно войти заново.
admin-staff-done-disabled = Учётная запись заблокирована, все её сеансы завершены.
admin-staff-done-enabled = Учётная запись разблокирована.
admin-staff-error-email = Электронная почта указана неверно. Введите адрес вида имя@домен.ru.
admin-staff-error-password = { $count ->
    [one] Пароль слишком короткий: нужен хотя бы { $count } символ.
    [few] Пароль слишком короткий: нужно хотя бы { $count } символа.
   *[many] Пароль слишком короткий: нужно хотя бы { $count } символов.
}
admin-staff-error-role = Выберите роль: модератор, исполнитель или администратор.
admin-staff-error-not-executor = Ведомство, район и отметка руководителя относятся только к исполнителям. Выберите роль «Исполнитель» или очистите эти поля.
admin-staff-error-agency-missing = Исполнителю нужно ведомство: выберите его в списке.
admin-staff-error-agency-unknown = Такого ведомства нет в справочнике. Выберите ведомство из списка.
admin-staff-error-district-agency = У ведомства «{ $agency }» нет районных подразделений. Выберите «Все районы».
admin-staff-error-district-unknown = Такого района нет в Москве. Выберите район из списка.
admin-staff-error-duplicate = Пользователь с такой электронной почтой уже есть. Укажите другой адрес.
admin-staff-error-self = Свою учётную запись изменить или заблокировать нельзя: попросите другого администратора.

## Администрирование: справочник категорий

admin-catalog-title = Справочник категорий
admin-catalog-new = Добавить категорию
admin-catalog-back = К списку категорий
admin-catalog-saved = Категория { $code } сохранена. Новые обращения подаются по новой версии; поданные ранее сохраняют свои ведомство и срок.
admin-category-new-title = Новая категория
admin-category-edit-title = Категория { $code }
admin-category-code = Код (латинские строчные буквы, цифры и «_»)
admin-category-name = Название
admin-category-description = Описание для жителей
admin-category-group = Раздел
admin-category-agency = Ответственное ведомство
admin-category-deadline = Срок ответа, рабочих дней
admin-category-keywords = Слова для поиска, через запятую
admin-category-min-photos = Сколько фото нужно как минимум
admin-category-media-required = Нужно хотя бы одно фото или видео
admin-category-personal-data = Обращения содержат персональные данные (номера машин и т. п.) и не публикуются
admin-category-fields = Дополнительные поля в формате JSON (code, label, datatype, required, values)
admin-category-save = Сохранить категорию
admin-category-versions = История изменений
admin-category-version = Версия
admin-category-error-code = Код указан неверно: используйте латинские строчные буквы, цифры и «_», не более 64 символов, первым символом не «_».
admin-category-error-code-taken = Категория с таким кодом уже есть. Укажите другой код или измените существующую категорию.
admin-category-error-code-changed = Код существующей категории менять нельзя: создайте новую категорию.
admin-category-error-name = Укажите название категории.
admin-category-error-group = Выберите раздел из списка.
admin-category-error-agency = Выберите ведомство из списка.
admin-category-error-deadline = Срок ответа должен быть целым числом рабочих дней от 1 до 10.
admin-category-error-photos = Число фото должно быть целым числом от 0 до 10.
admin-category-error-fields = Дополнительные поля не разобраны: { $error }. Исправьте JSON; пустой список — [].

## Администрирование: производственный календарь

admin-calendar-title = Производственный календарь
admin-calendar-years = Годы, по которым считаются сроки:
admin-calendar-help = Загрузите календарь одного года в формате XML (как файлы xmlcalendar.ru). Сервис начнёт считать сроки по нему сразу после загрузки (другие узлы — в течение минуты); уже назначенные сроки не пересчитываются.
admin-calendar-file = Файл календаря (XML)
admin-calendar-confirm = Всё равно загрузить: я понимаю, что сроки уже переданных обращений останутся прежними
admin-calendar-submit = Загрузить календарь
admin-calendar-imported = Календарь на { $year } год загружен и уже действует: новые сроки считаются по нему.
admin-calendar-error-missing = Выберите файл календаря.
admin-calendar-error-size = Файл слишком большой для календаря одного года (больше 1 МБ). Проверьте, что выбран нужный файл.
admin-calendar-error-encoding = Файл не в кодировке UTF-8. Сохраните его в UTF-8 и загрузите снова.
admin-calendar-error-xml = Файл не является корректным XML: { $detail }. Исправьте файл и загрузите снова.
admin-calendar-error-root = Корневой элемент файла — <{ $found }>, а должен быть <calendar>. Выберите файл производственного календаря.
admin-calendar-error-year = У элемента <calendar> нет атрибута year с номером года (например, year="2028") или он указан неверно.
admin-calendar-error-days = В файле нет списка дней <days>. Добавьте его, даже если он пустой.
admin-calendar-error-attribute = У дня в строке { $line } нет атрибута { $attribute }. Укажите его и загрузите файл снова.
admin-calendar-error-day = День «{ $day }» не является датой этого года в формате ММ.ДД.
admin-calendar-error-type = У дня { $day } неизвестный тип t="{ $type }": допустимы 1 (выходной), 2 (сокращённый день) и 3 (рабочий выходной).
admin-calendar-error-duplicate = День { $day } указан в файле больше одного раза.
admin-calendar-error-open-reports = Календарь на { $year } год меняет { $changed ->
    [one] { $changed } день
    [few] { $changed } дня
   *[many] { $changed } дней
}, по которым уже посчитаны сроки открытых обращений ({ $count }): { $reports }. Их сроки не изменятся. Если загрузка нужна, отметьте подтверждение и выберите файл снова.

## The administrators' starting page, /admin

nav-admin = Администрирование
nav-recovery = Восстановление доступа
admin-index-title = Администрирование
admin-index-dashboard = обращения по дням, категориям и районам, соблюдение сроков и оценки жителей по ведомствам.
admin-index-staff = учётные записи модераторов, исполнителей и администраторов, роли и блокировка.
admin-index-catalog = категории обращений, их ведомства, сроки и дополнительные поля.
admin-index-agencies = ведомства, их руководители и передача обращений в их системы.
admin-index-routing = какому ведомству направлять обращения категории из отдельного района.
admin-index-recovery = запросы на восстановление доступа по скану паспорта.
admin-index-calendar = загрузка производственного календаря нового года.
admin-index-api-keys = ключи доступа внешних систем к API.
admin-index-deliveries = уведомления, которые не удалось доставить, и повторная отправка.
admin-index-webhooks = неудавшиеся передачи обращений в системы ведомств.
admin-index-audit = журнал входов, смены ролей и действий сотрудников.
